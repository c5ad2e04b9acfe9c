package io.dbmmigrate.source.control;

import io.dbmmigrate.proto.v1.ConvergencePolicy;
import io.dbmmigrate.proto.v1.DirtyLogMode;
import io.dbmmigrate.proto.v1.MigrationParameters;
import io.dbmmigrate.source.migration.DirtyLogStrategy;
import io.dbmmigrate.source.migration.MigrationSettings;
import io.dbmmigrate.source.migration.NoConvergenceAction;
import io.dbmmigrate.source.migration.SwitchPolicy;

/**
 * Converts between {@link MigrationSettings} and the control API's {@link MigrationParameters}. Zero
 * or unset wire fields take the given defaults (proto3 cannot tell "unset" from 0); a test-fault gfn
 * of 0 or less means none.
 */
public final class ProtoParams {
  private ProtoParams() {}

  /**
   * @throws IllegalArgumentException with a message naming the bad parameter
   */
  public static MigrationSettings toSettings(MigrationParameters p, MigrationSettings d) {
    return new MigrationSettings(
        switch (p.getDirtyLogMode()) {
          case DIRTY_LOG_MODE_SW -> DirtyLogStrategy.SW;
          case DIRTY_LOG_MODE_HW -> DirtyLogStrategy.HW;
          case DIRTY_LOG_MODE_HW_SW -> DirtyLogStrategy.HW_SW;
          case DIRTY_LOG_MODE_RING -> DirtyLogStrategy.RING;
          case DIRTY_LOG_MODE_HDBSS -> DirtyLogStrategy.HDBSS;
          case DIRTY_LOG_MODE_HDBSS_SW -> DirtyLogStrategy.HDBSS_SW;
          case DIRTY_LOG_MODE_COMBINED -> DirtyLogStrategy.COMBINED;
          case DIRTY_LOG_MODE_COMBINED_SW -> DirtyLogStrategy.COMBINED_SW;
          default -> d.dirtyLog();
        },
        p.getSwitchPolicy().isBlank() ? d.switchPolicy() : SwitchPolicy.parse(p.getSwitchPolicy()),
        p.getDowntimeLimitMillis() == 0 ? d.downtimeLimitMillis() : p.getDowntimeLimitMillis(),
        p.getMaxRounds() == 0 ? d.maxRounds() : p.getMaxRounds(),
        switch (p.getConvergence()) {
          case CONVERGENCE_POLICY_FORCE -> NoConvergenceAction.FORCE;
          case CONVERGENCE_POLICY_ABORT -> NoConvergenceAction.ABORT;
          case CONVERGENCE_POLICY_THROTTLE -> NoConvergenceAction.THROTTLE;
          default -> d.onNoConvergence();
        },
        p.getStreams() == 0 ? d.streams() : p.getStreams(),
        p.getMaxBatchBytes() == 0 ? d.batchBytes() : p.getMaxBatchBytes(),
        p.getCompress() || d.compress(),
        p.getMaxBandwidthBytesPerSec() == 0 ? d.maxBandwidthBytesPerSec() : p.getMaxBandwidthBytesPerSec(),
        p.getScanThreads() == 0 ? d.scanThreads() : p.getScanThreads(),
        p.getScanChunkBytes() == 0 ? d.scanChunkBytes() : p.getScanChunkBytes(),
        p.getVerifyOnly() || d.verifyOnly(),
        p.getTestCorruptGfn() <= 0 ? d.testCorruptGfn() : p.getTestCorruptGfn(),
        d.warmupMillis(),
        d.observeAfterMillis(),
        d.rpcTimeoutMillis(),
        d.streamStallMillis(),
        p.getVerify() == io.dbmmigrate.proto.v1.VerifyMode.VERIFY_MODE_UNSPECIFIED
            ? d.verify()
            : io.dbmmigrate.source.transport.VerifyModes.fromProto(p.getVerify()));
  }

  /** The post-copy settings of a request; unset fields take the defaults {@code d}. */
  public static io.dbmmigrate.source.migration.PostcopySettings toPostcopy(
      MigrationParameters p, io.dbmmigrate.source.migration.PostcopySettings d) {
    return new io.dbmmigrate.source.migration.PostcopySettings(
        p.getMode().isBlank() ? d.mode() : io.dbmmigrate.source.migration.MigrationMode.parse(p.getMode()),
        p.getPostcopyAfterRounds() == 0 ? d.afterRounds() : p.getPostcopyAfterRounds(),
        p.getPostcopyRecoverMillis() == 0 ? d.recoverMillis() : p.getPostcopyRecoverMillis());
  }

  /** Adds the post-copy settings to {@code b}. */
  public static MigrationParameters.Builder withPostcopy(
      MigrationParameters.Builder b, io.dbmmigrate.source.migration.PostcopySettings s) {
    return b.setMode(s.mode().label())
        .setPostcopyAfterRounds(s.afterRounds())
        .setPostcopyRecoverMillis(s.recoverMillis());
  }

  public static MigrationParameters toProto(MigrationSettings s) {
    return MigrationParameters.newBuilder()
        .setVerify(io.dbmmigrate.source.transport.VerifyModes.toProto(s.verify()))
        .setDirtyLogMode(
            switch (s.dirtyLog()) {
              case SW -> DirtyLogMode.DIRTY_LOG_MODE_SW;
              case HW -> DirtyLogMode.DIRTY_LOG_MODE_HW;
              case HW_SW -> DirtyLogMode.DIRTY_LOG_MODE_HW_SW;
              case RING -> DirtyLogMode.DIRTY_LOG_MODE_RING;
              case HDBSS -> DirtyLogMode.DIRTY_LOG_MODE_HDBSS;
              case HDBSS_SW -> DirtyLogMode.DIRTY_LOG_MODE_HDBSS_SW;
              case COMBINED -> DirtyLogMode.DIRTY_LOG_MODE_COMBINED;
              case COMBINED_SW -> DirtyLogMode.DIRTY_LOG_MODE_COMBINED_SW;
            })
        .setSwitchPolicy(s.switchPolicy().label())
        .setDowntimeLimitMillis(s.downtimeLimitMillis())
        .setMaxRounds(s.maxRounds())
        .setConvergence(
            switch (s.onNoConvergence()) {
              case FORCE -> ConvergencePolicy.CONVERGENCE_POLICY_FORCE;
              case ABORT -> ConvergencePolicy.CONVERGENCE_POLICY_ABORT;
              case THROTTLE -> ConvergencePolicy.CONVERGENCE_POLICY_THROTTLE;
            })
        .setStreams(s.streams())
        .setMaxBatchBytes(s.batchBytes())
        .setCompress(s.compress())
        .setMaxBandwidthBytesPerSec(s.maxBandwidthBytesPerSec())
        .setScanThreads(s.scanThreads())
        .setScanChunkBytes(s.scanChunkBytes())
        .setVerifyOnly(s.verifyOnly())
        .setTestCorruptGfn(s.testCorruptGfn())
        .build();
  }
}
