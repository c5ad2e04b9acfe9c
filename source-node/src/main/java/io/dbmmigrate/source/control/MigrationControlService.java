package io.dbmmigrate.source.control;

import io.dbmmigrate.proto.v1.SwitchToPostcopyRequest;
import io.dbmmigrate.proto.v1.SwitchToPostcopyResponse;
import io.dbmmigrate.source.migration.PostcopySettings;
import io.dbmmigrate.proto.v1.CancelRequest;
import io.dbmmigrate.proto.v1.CancelResponse;
import io.dbmmigrate.proto.v1.MigrationControlGrpc;
import io.dbmmigrate.proto.v1.MigrationEvent;
import io.dbmmigrate.proto.v1.MigrationStatus;
import io.dbmmigrate.proto.v1.Phase;
import io.dbmmigrate.proto.v1.SetParametersRequest;
import io.dbmmigrate.proto.v1.SetParametersResponse;
import io.dbmmigrate.proto.v1.StartMigrationRequest;
import io.dbmmigrate.proto.v1.StatusRequest;
import io.dbmmigrate.source.migration.LiveParameters;
import io.dbmmigrate.source.migration.MigrationSettings;
import io.dbmmigrate.proto.v1.LiveStatistics;
import io.dbmmigrate.report.GcPhaseStats;
import io.dbmmigrate.source.migration.LiveStatus;
import io.dbmmigrate.source.migration.PreCopyController;
import io.dbmmigrate.source.transport.HostPort;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The source's control API ({@code MigrationControl}): a thin adapter over {@link MigrationRunner}.
 * Errors: INVALID_ARGUMENT for bad parameters or target, FAILED_PRECONDITION when no VM is hosted,
 * a migration already runs, or (SetParameters) none runs.
 */
public final class MigrationControlService extends MigrationControlGrpc.MigrationControlImplBase {
  private final MigrationRunner runner;
  private final MigrationSettings defaults;
  private final PostcopySettings postcopyDefaults;

  public MigrationControlService(MigrationRunner runner, MigrationSettings defaults) {
    this(runner, defaults, PostcopySettings.PRECOPY);
  }

  public MigrationControlService(MigrationRunner runner, MigrationSettings defaults, PostcopySettings postcopyDefaults) {
    this.runner = runner;
    this.defaults = defaults;
    this.postcopyDefaults = postcopyDefaults;
  }

  @Override
  public void startMigration(StartMigrationRequest req, StreamObserver<MigrationEvent> responseObserver) {
    ServerCallStreamObserver<MigrationEvent> out = (ServerCallStreamObserver<MigrationEvent>) responseObserver;
    MigrationSettings settings;
    PostcopySettings postcopy;
    HostPort target;
    try {
      settings = ProtoParams.toSettings(req.getParameters(), defaults);
      postcopy = ProtoParams.toPostcopy(req.getParameters(), postcopyDefaults);
      target = HostPort.parse(req.getTarget());
    } catch (IllegalArgumentException e) {
      out.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
      return;
    }
    AtomicReference<PreCopyController> started = new AtomicReference<>();
    // Cancelling the call cancels the migration (set before any event is sent).
    out.setOnCancelHandler(
        () -> {
          PreCopyController c = started.get();
          if (c != null) c.cancel("the control client cancelled StartMigration");
        });
    try {
      started.set(runner.start(target, settings, postcopy, new EventStreamListener(out)));
    } catch (IllegalStateException e) {
      out.onError(Status.FAILED_PRECONDITION.withDescription(e.getMessage()).asRuntimeException());
    }
  }

  @Override
  public void getStatus(StatusRequest req, StreamObserver<MigrationStatus> out) {
    MigrationStatus.Builder b = MigrationStatus.newBuilder();
    Optional<PreCopyController> c = runner.active();
    if (c.isPresent()) {
      PreCopyController x = c.get();
      b.setActive(true)
          .setPhase(ProtoEvents.toProto(x.phase()))
          .setRound(x.currentRound())
          .setBytesSent(x.bytesSent())
          .setParameters(
              ProtoParams.withPostcopy(ProtoParams.toProto(x.currentSettings()).toBuilder(), x.postcopySettings()))
          .setLive(live(x));
    } else {
      b.setActive(false).setPhase(Phase.PHASE_UNSPECIFIED);
    }
    runner.lastReport().ifPresent(r -> b.setLastSummary(ProtoEvents.toProto(r)));
    out.onNext(b.build());
    out.onCompleted();
  }

  private static LiveStatistics live(PreCopyController c) {
    LiveStatus.Snapshot s = c.status();
    long[] gc = c.gcSoFar();
    LiveStatistics.Builder b = LiveStatistics.newBuilder();
    // issue 15 (stats): GC per phase, live
    for (GcPhaseStats g : c.gcPhasesSoFar()) b.addGcPhases(ProtoEvents.toProto(g));
    return b
        .setTotalMillis(s.totalMillis())
        .setSetupMillis(s.setupMillis())
        .setDowntimeMillis(s.downtimeMillis())
        .setExpectedDowntimeMillis(s.expectedDowntimeMillis())
        .setTransferredBytes(s.bytesSent())
        .setRemainingPages(s.remainingPages())
        .setZeroPages(s.zeroPages())
        .setNormalPages(s.normalPages())
        .setDirtyPagesRate(s.dirtyPagesRate())
        .setThroughputBytesPerSec(s.throughputBytesPerSec())
        .setDirtySyncCount(s.dirtySyncCount())
        .setGcPauses(gc[0])
        .setGcPauseMillis(gc[1] / 1e6)
        .build();
  }

  @Override
  public void cancel(CancelRequest req, StreamObserver<CancelResponse> out) {
    Optional<PreCopyController> c = runner.active();
    String refusal = c.map(PreCopyController::cancelRefusal).orElse("no migration is running");
    boolean cancelled = c.isPresent() && c.get().cancel(req.getReason().isBlank() ? "cancelled by the control API" : req.getReason());
    out.onNext(
        CancelResponse.newBuilder()
            .setCancelled(cancelled)
            .setDetail(cancelled || refusal == null ? "" : refusal)
            .setPhase(c.map(x -> ProtoEvents.toProto(x.phase())).orElse(Phase.PHASE_UNSPECIFIED))
            .build());
    out.onCompleted();
  }

  @Override
  public void switchToPostcopy(SwitchToPostcopyRequest req, StreamObserver<SwitchToPostcopyResponse> out) {
    Optional<PreCopyController> c = runner.active();
    String refusal = c.isPresent() ? c.get().requestPostcopy() : "no migration is running";
    out.onNext(
        SwitchToPostcopyResponse.newBuilder().setAccepted(refusal == null).setDetail(refusal == null ? "" : refusal).build());
    out.onCompleted();
  }

  @Override
  public void setParameters(SetParametersRequest req, StreamObserver<SetParametersResponse> out) {
    Optional<PreCopyController> c = runner.active();
    if (c.isEmpty()) {
      out.onError(Status.FAILED_PRECONDITION.withDescription("no migration is running").asRuntimeException());
      return;
    }
    LiveParameters live = c.get().live();
    try {
      if (req.hasMaxBandwidthBytesPerSec()) live.setMaxBandwidthBytesPerSec(req.getMaxBandwidthBytesPerSec());
      if (req.hasDowntimeLimitMillis()) live.setDowntimeLimitMillis(req.getDowntimeLimitMillis());
      if (req.hasMaxRounds()) live.setMaxRounds(req.getMaxRounds());
    } catch (IllegalArgumentException e) {
      out.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
      return;
    }
    out.onNext(SetParametersResponse.newBuilder().setParameters(ProtoParams.toProto(c.get().currentSettings())).build());
    out.onCompleted();
  }
}
