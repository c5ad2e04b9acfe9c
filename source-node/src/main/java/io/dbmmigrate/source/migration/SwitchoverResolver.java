package io.dbmmigrate.source.migration;

import io.dbmmigrate.digest.Digest;
import io.dbmmigrate.digest.MemoryDigester;
import io.dbmmigrate.digest.VerifyMode;
import io.dbmmigrate.machine.VcpuSnapshot;
import io.dbmmigrate.machine.VirtualMachine;
import io.dbmmigrate.net.NanoClock;
import io.dbmmigrate.report.DowntimeParts;
import io.dbmmigrate.report.MigrationReport;
import io.dbmmigrate.report.RoundRecord;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The switchover and its resolution: pause the vCPUs, run the final round, capture the vCPU states,
 * hash all memory, commit, and settle the source's VM by the destination's answer.
 *
 * Verification by mode ({@link SourceVerification}): STRICT hashes at pause and sends the digest
 * with the commit; BACKGROUND and OFF commit without it and the destination resumes at once
 * (BACKGROUND then fetches the verdict; a mismatch fails the run, the VM runs on there).
 *
 * <ul>
 *   <li>match and resumed (or resumed unverified by mode): the VM moved ({@link SourceVmGuard#handOver}).
 *   <li>match, verify-only: verified, the VM runs on here ({@link SourceVmGuard#giveBack}).
 *   <li>mismatch or not resumed: the VM runs on here ({@link SourceVmGuard#giveBack}).
 *   <li>answer lost: the destination is probed; running there → handed over; not running → the
 *       session is aborted and the VM given back; unreachable → the VM stays paused.
 * </ul>
 *
 * Downtime = pause → the destination's answer (resume acknowledged), minus the verification hashing
 * on both sides (reported beside it as the verification time), decomposed into {@link
 * DowntimeParts} from the moments recorded in the {@link MigrationTimeline} and the destination's
 * own timings. Controller thread only.
 */
final class SwitchoverResolver {
  private static final Logger log = LoggerFactory.getLogger(SwitchoverResolver.class);

  /** Moves the controller to COMMITTING; throws when a cancel came first. */
  interface CommitGate {
    void enterCommitting() throws MigrationFailure;
  }

  /** How the migration ended, for the controller's last phase. */
  record Resolution(SourceVmFate fate, MigrationPhase end, String detail) {}

  private final String migrationId;
  private final VirtualMachine vm;
  private final SourceVmGuard guard;
  private final MigrationSettings settings;
  private final MemoryDigester digester;
  private final NanoClock clock;
  private final RoundLoop loop;
  private final GuestRateObserver observer;
  private final MigrationReportBuilder report;
  private final MigrationTimeline timeline;

  SwitchoverResolver(
      String migrationId,
      VirtualMachine vm,
      SourceVmGuard guard,
      MigrationSettings settings,
      MemoryDigester digester,
      NanoClock clock,
      RoundLoop loop,
      GuestRateObserver observer,
      MigrationReportBuilder report,
      MigrationTimeline timeline) {
    this.timeline = timeline;
    this.migrationId = migrationId;
    this.vm = vm;
    this.guard = guard;
    this.settings = settings;
    this.digester = digester;
    this.clock = clock;
    this.loop = loop;
    this.observer = observer;
    this.report = report;
  }

  /**
   * Pauses and commits. Throws (with the VM not yet settled) only before the commit is sent; from
   * the commit on, every outcome is resolved here.
   */
  Resolution switchOver(TargetSession s, int finalRound, CommitGate gate)
      throws TransferException, InterruptedException, MigrationFailure {
    observer.phase("paused");
    final MigrationTimeline t = timeline;
    t.pauseAt(clock.nanoTime());
    guard.pause();
    t.paused = clock.nanoTime();
    RoundRecord fin = loop.runRound(finalRound, RoundLoop.Kind.FINAL);
    t.finalRoundEnd = clock.nanoTime();
    List<VcpuSnapshot> vcpus = vm.captureVcpuStates();
    t.captured = clock.nanoTime();
    if (!vcpus.isEmpty()) report.workload(vcpus.get(0).workloadSpec());
    t.hash = clock.nanoTime();
    final SourceVerification verification =
        new SourceVerification(settings.verify(), settings.verifyOnly(), digester, clock);
    report.verifyMode(verification.mode());
    Digest sourceDigest = verification.atPause(vm.memory()); // STRICT: the tree, one pass; else null
    t.hashEnd = clock.nanoTime();
    final double sourceHashMillis = (t.hashEnd - t.hash) / 1e6;
    gate.enterCommitting();
    observer.phase("commit");
    t.commitSent = clock.nanoTime();
    CommitOutcome out;
    try {
      out = s.commit(vcpus, sourceDigest, !settings.verifyOnly(), verification.mode());
    } catch (TransferException | RuntimeException e) {
      t.answerAt(clock.nanoTime());
      return answerLost(e, s, verification.sourceHex());
    }
    t.answerAt(clock.nanoTime());
    observer.stopSampling(); // the source's guest no longer runs here; "after" comes from the destination
    DestCommitTimings d = out.dest();
    t.dest = d;
    double destVerifyMillis = d.reported() ? d.verifyMillis() : out.verifyMillis();
    if (d.reported()) {
      long from = Math.round((d.completenessMillis() + d.restoreMillis()) * 1e6);
      t.destVerify(from, from + Math.round(d.verifyMillis() * 1e6));
    }
    double downtime = (t.answer - t.pause) / 1e6 - sourceHashMillis - destVerifyMillis;
    report.downtime(downtime, sourceHashMillis + destVerifyMillis);
    report.downtimeParts(parts(fin, d, destVerifyMillis, downtime));
    report.verification(out.match(), out.resumed(), verification.sourceHex(), out.destDigestHex());
    if (verification.handsOver(out)) {
      guard.handOver(); // the VM stays paused here: BACKGROUND hashes its image next
      SourceVerification.Verdict v = verification.afterHandOver(out, s, vm.memory());
      if (verification.mode() != VerifyMode.STRICT) {
        report.verification(v.match(), out.resumed(), verification.sourceHex(), v.destDigestHex());
        report.downtime(downtime, v.verifyMillis());
      }
      log.info(
          "{}: guest stood still {} ms (downtime {} ms{}), verification {}",
          migrationId,
          Math.round(verification.mode() == VerifyMode.STRICT ? downtime + sourceHashMillis + destVerifyMillis : downtime),
          Math.round(downtime),
          verification.mode() == VerifyMode.STRICT
              ? " + verification " + Math.round(sourceHashMillis + destVerifyMillis) + " ms"
              : "",
          verification.mode().reportLabel());
      report.outcome(v.error() == null ? MigrationReport.COMPLETED : MigrationReport.FAILED, v.error());
      observer.observeAfter(s, settings.observeAfterMillis());
      if (v.error() != null) return new Resolution(SourceVmFate.MOVED, MigrationPhase.FAILED, v.error());
      return new Resolution(SourceVmFate.MOVED, MigrationPhase.COMPLETED, verifiedDetail(verification.mode()));
    }
    guard.giveBack();
    if (out.match() && settings.verifyOnly()) {
      report.outcome(MigrationReport.COMPLETED, null);
      return new Resolution(
          SourceVmFate.VERIFIED_STAYS_ON_SOURCE, MigrationPhase.COMPLETED, "verified: digests match");
    }
    String error =
        (out.match() ? "destination did not resume" : "digest MISMATCH")
            + (out.detail().isEmpty() ? "" : ": " + out.detail())
            + (out.mismatchedRanges().isEmpty() ? "" : " (differing ranges " + out.mismatchedRanges() + ")");
    report.outcome(MigrationReport.FAILED, error);
    return new Resolution(SourceVmFate.STAYS_ON_SOURCE, MigrationPhase.FAILED, error);
  }

  private static String verifiedDetail(VerifyMode mode) {
    return switch (mode) {
      case STRICT -> "verified: digests match";
      case BACKGROUND -> "verified in the background: digests match";
      case OFF -> "completed UNVERIFIED (verify mode off)";
    };
  }

  /** The downtime's parts from the timeline, the final round and the destination's timings. */
  private DowntimeParts parts(
      RoundRecord fin, DestCommitTimings d, double destVerifyMillis, double downtimeMillis) {
    MigrationTimeline t = timeline;
    return new DowntimeParts(
            (t.paused - t.pause) / 1e6,
            fin.syncMillis(),
            fin.ptesVisited(),
            fin.sendMillis(),
            fin.pagesSent(),
            fin.bytesSent(),
            (t.captured - t.finalRoundEnd) / 1e6,
            (t.answer - t.commitSent) / 1e6
                - destVerifyMillis
                - d.completenessMillis()
                - d.restoreMillis()
                - d.resumeMillis(),
            d.completenessMillis(),
            d.restoreMillis(),
            d.resumeMillis(),
            0,
            d.lastBatchToCommitMillis(),
            0,
            0,
            0,
            0)
        .withRemainderOf(downtimeMillis);
  }

  /** The commit was sent but its answer did not arrive: find out whether the destination runs it. */
  private Resolution answerLost(Exception e, TargetSession s, String sourceHex) {
    DestinationProbe probe = s.probe();
    log.warn("{}: commit answer lost ({}); destination probe: {}", migrationId, e.getMessage(), probe);
    SourceVmFate fate;
    String error = "commit answer lost (" + e.getMessage() + "); ";
    switch (probe) {
      case RUNNING -> {
        guard.handOver();
        fate = SourceVmFate.MOVED;
        error += "the destination runs the VM (unverified by the source)";
      }
      case NOT_RUNNING -> {
        s.abort("commit answer lost");
        guard.giveBack();
        fate = SourceVmFate.STAYS_ON_SOURCE;
        error += "the destination does not run the VM; resumed on the source";
      }
      default -> {
        guard.keepPaused();
        fate = SourceVmFate.PAUSED_OUTCOME_UNKNOWN;
        error += "the destination cannot be reached; the VM stays PAUSED on the source";
      }
    }
    report.verification(false, probe == DestinationProbe.RUNNING, sourceHex, "");
    report.outcome(MigrationReport.FAILED, error);
    return new Resolution(fate, MigrationPhase.FAILED, error);
  }
}
