package io.dbmmigrate.source.migration;

import io.dbmmigrate.digest.ReceiptDigest;
import io.dbmmigrate.memory.MemorySlotSpec;
import io.dbmmigrate.machine.VcpuSnapshot;
import io.dbmmigrate.machine.VirtualMachine;
import io.dbmmigrate.net.NanoClock;
import io.dbmmigrate.report.MigrationReport;
import io.dbmmigrate.report.PostcopyReport;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The post-copy switchover and what follows it (QEMU's migrate-start-postcopy): pause, take the set
 * of pages not yet up to date on the destination, send it with the vCPU states, and the destination
 * resumes at once. Then push every missing page (requested pages first) and prove the transfer with
 * the receipt digest.
 *
 * <p>From StartPostcopy on there is no way back: the VM runs on the destination with part of its
 * memory still here. A lost link is recovered by reconnecting ({@link PostcopyTransfer#push}); when
 * recovery gives up, or the receipt digest differs, the VM is lost and the run fails loudly; the
 * source keeps its paused image for the operator. Runs on the controller thread.
 */
final class PostcopySwitchover {
  private static final Logger log = LoggerFactory.getLogger(PostcopySwitchover.class);

  private final String migrationId;
  private final VirtualMachine vm;
  private final SourceVmGuard guard;
  private final PostcopySettings settings;
  private final NanoClock clock;
  private final GuestRateObserver observer;
  private final MigrationReportBuilder report;
  private final MigrationTimeline timeline;
  private final long observeAfterMillis;

  PostcopySwitchover(
      String migrationId, VirtualMachine vm, SourceVmGuard guard, PostcopySettings settings, NanoClock clock,
      GuestRateObserver observer, MigrationReportBuilder report, MigrationTimeline timeline, long observeAfterMillis) {
    this.observeAfterMillis = observeAfterMillis;
    this.migrationId = migrationId;
    this.vm = vm;
    this.guard = guard;
    this.settings = settings;
    this.clock = clock;
    this.observer = observer;
    this.report = report;
    this.timeline = timeline;
  }

  /**
   * @param loop the pre-copy rounds (hybrid), whose dirty log names the missing pages; null for
   *     pure post-copy (every page is missing)
   */
  SwitchoverResolver.Resolution switchOver(
      TargetSession s, RoundLoop loop, String trigger, SwitchoverResolver.CommitGate gate)
      throws TransferException, InterruptedException, MigrationFailure {
    observer.phase("paused");
    final MigrationTimeline t = timeline;
    t.pauseAt(clock.nanoTime());
    guard.pause();
    t.paused = clock.nanoTime();
    List<long[]> missing = loop == null ? allRuns() : loop.harvestMissing();
    long missingPages = 0;
    for (long[] r : missing) missingPages += r[1] - r[0];
    List<VcpuSnapshot> vcpus = vm.captureVcpuStates();
    t.captured = clock.nanoTime();
    if (!vcpus.isEmpty()) report.workload(vcpus.get(0).workloadSpec());
    gate.enterCommitting(); // from here a cancel is refused: the destination is about to run the VM
    PostcopyTransfer transfer;
    try {
      transfer = s.startPostcopy(vcpus, missing, settings.recoverMillis());
    } catch (TransferException | RuntimeException e) {
      return startLost(e, s);
    }
    t.answerAt(clock.nanoTime());
    observer.stopSampling();
    double downtime = (t.answer - t.pause) / 1e6;
    report.downtime(downtime, 0);
    log.info(
        "{}: post-copy started ({}): VM resumed on the destination after {} ms, {} pages missing",
        migrationId, trigger, String.format("%.1f", downtime), missingPages);
    // The paused image is final: its receipt sums are taken on their own thread while the pages
    // flow, not before the push: the destination's vCPUs may already wait for a page (they did,
    // 26–40 ms per switchover on a 64 MiB guest). Both only read the paused memory.
    FutureTask<long[]> receiptSums = new FutureTask<>(() -> ReceiptDigest.of(vm.memory()));
    Thread summer = new Thread(receiptSums, "postcopy-receipt-sums");
    summer.setDaemon(true);
    summer.start();
    PostcopyTransfer.Pushed pushed;
    try {
      pushed = transfer.push(vm.memory());
    } catch (TransferException e) {
      return lost("post-copy failed after switchover: " + e.getMessage(), missingPages, trigger, null, null);
    }
    long[] sums;
    try {
      sums = receiptSums.get();
    } catch (ExecutionException e) {
      throw new IllegalStateException("receipt sums of the paused image failed", e.getCause());
    }
    PostcopyTransfer.Completion c;
    try {
      c = transfer.complete(sums);
    } catch (TransferException e) {
      return lost("post-copy completion failed: " + e.getMessage(), missingPages, trigger, pushed, null);
    }
    PostcopyReport pr = postcopyReport(missingPages, trigger, pushed, c);
    report.postcopy(pr, pushed.pagesPushed() + pushed.pagesRequested(), pushed.bytes());
    if (!c.match()) {
      String error =
          "post-copy receipt digest MISMATCH in " + c.mismatchedRanges() + ": the destination received pages that"
              + " differ from the source's image at switchover; the destination discarded the VM: it is LOST";
      log.error("{}: {}", migrationId, error);
      guard.keepPaused();
      report.verification(false, false, "", "");
      report.outcome(MigrationReport.FAILED, error);
      return new SwitchoverResolver.Resolution(SourceVmFate.PAUSED_OUTCOME_UNKNOWN, MigrationPhase.FAILED, error);
    }
    guard.handOver();
    // The destination sampled its guest from resume to its answer; the source's "after" samples
    // (as for pre-copy) follow. Lost work then spans rounds, stop and post-copy (PreCopyController.finish).
    t.postcopyRate = c.guestRate();
    if (c.guestRate() == null)
      log.warn("{}: the destination sent no write-rate samples: no lost work for this post-copy", migrationId);
    observer.observeAfter(s, observeAfterMillis);
    String receiptHex = receiptHex(sums);
    report.verification(true, true, receiptHex, receiptHex);
    report.outcome(MigrationReport.COMPLETED, null);
    return new SwitchoverResolver.Resolution(
        SourceVmFate.MOVED, MigrationPhase.COMPLETED, "post-copy complete: receipt digest matches");
  }

  /** SHA-256 over the receipt sums: the report's digest of a post-copy (equal on both sides on a match). */
  static String receiptHex(long[] sums) {
    try {
      java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
      java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 * sums.length);
      for (long x : sums) b.putLong(x);
      return java.util.HexFormat.of().formatHex(md.digest(b.array()));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private SwitchoverResolver.Resolution startLost(Exception e, TargetSession s) {
    DestinationProbe p = s.probe();
    String error = "StartPostcopy failed: " + e.getMessage();
    if (p == DestinationProbe.NOT_RUNNING) {
      s.abort(error);
      guard.giveBack();
      report.outcome(MigrationReport.FAILED, error + "; the VM stays on the source");
      return new SwitchoverResolver.Resolution(SourceVmFate.STAYS_ON_SOURCE, MigrationPhase.FAILED, error);
    }
    guard.keepPaused();
    report.outcome(MigrationReport.FAILED, error + "; destination state " + p + ": VM left paused here");
    return new SwitchoverResolver.Resolution(SourceVmFate.PAUSED_OUTCOME_UNKNOWN, MigrationPhase.FAILED, error);
  }

  private SwitchoverResolver.Resolution lost(
      String error, long missingPages, String trigger, PostcopyTransfer.Pushed pushed, Object unused) {
    log.error("{}: VM LOST: {}", migrationId, error);
    guard.keepPaused();
    report.verification(false, false, "", "");
    report.postcopy(
        new PostcopyReport("lost", trigger, missingPages, pushed == null ? 0 : pushed.pagesPushed(),
            pushed == null ? 0 : pushed.pagesRequested(), 0, List.of(), 0, 0, 0, 0, 0,
            pushed == null ? 0 : pushed.reconnects(), false, List.of()),
        0, 0);
    report.outcome(MigrationReport.FAILED, "VM LOST: " + error);
    return new SwitchoverResolver.Resolution(SourceVmFate.PAUSED_OUTCOME_UNKNOWN, MigrationPhase.FAILED, error);
  }

  private PostcopyReport postcopyReport(
      long missingPages, String trigger, PostcopyTransfer.Pushed p, PostcopyTransfer.Completion c) {
    return new PostcopyReport(
        loopMode(), trigger, missingPages, p.pagesPushed(), p.pagesRequested(), c.duplicates(),
        c.blocktimeMillisPerVcpu(), c.blocktimeMillisTotal(), c.p50Millis(), c.p99Millis(), c.maxMillis(),
        c.lastPageMillis(), Math.max(c.recoveries(), p.reconnects()), c.match(), c.mismatchedRanges());
  }

  private String loopMode() {
    return settings.mode().label();
  }

  /** Pure post-copy: every page of every slot (ROM too: the destination has nothing yet). */
  private List<long[]> allRuns() {
    List<long[]> runs = new ArrayList<>();
    for (MemorySlotSpec slot : vm.memory().slots()) runs.add(new long[] {slot.baseGfn(), slot.endGfn()});
    return runs;
  }
}
