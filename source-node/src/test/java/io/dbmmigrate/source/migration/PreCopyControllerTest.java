package io.dbmmigrate.source.migration;

import static org.assertj.core.api.Assertions.assertThat;

import io.dbmmigrate.digest.MemoryDigester;
import io.dbmmigrate.dirty.DirtyLogMode;
import io.dbmmigrate.report.MigrationReport;
import io.dbmmigrate.report.RoundRecord;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntUnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The controller's decisions and failure rules against a scripted VM and an in-memory destination.
 * Time is fake, so the numbers (dirty rate, estimates) are deterministic.
 */
class PreCopyControllerTest {
  private final FakeClock clock = new FakeClock();
  private final FakeTarget target = new FakeTarget(clock);

  private static MigrationSettings settings(
      DirtyLogStrategy mode, String policy, long limitMillis, int maxRounds, NoConvergenceAction onNo) {
    return new MigrationSettings(
        mode, SwitchPolicy.parse(policy), limitMillis, maxRounds, onNo, 1, 1 << 20, false, 0, 2,
        512L << 20, false, -1, 0, 300, 1000, 1000);
  }

  private MigrationResult run(FakeVm vm, MigrationSettings s) {
    return controller(vm, s, FaultCostMeter.UNKNOWN).run();
  }

  private PreCopyController controller(FakeVm vm, MigrationSettings s, FaultCostMeter cost) {
    return new PreCopyController(
        "m-test", vm, target, s, MigrationListener.NONE, new MemoryDigester(1), clock, cost, "random");
  }

  private static List<String> modes(MigrationReport r) {
    return r.roundStats().stream().map(RoundRecord::mode).toList();
  }

  @Test
  void hwSwWithThresholdSwitchesAndFinalSyncIsSoftware() {
    FakeVm vm = new FakeVm(clock, i -> 300);
    MigrationResult res = run(vm, settings(DirtyLogStrategy.HW_SW, "threshold:250", 1, 6, NoConvergenceAction.FORCE));
    MigrationReport r = res.report();
    assertThat(r.outcome()).isEqualTo(MigrationReport.COMPLETED);
    assertThat(r.match()).isTrue();
    assertThat(r.sourceDigest()).isEqualTo(r.destDigest()).isNotEmpty();
    assertThat(res.fate()).isEqualTo(SourceVmFate.MOVED);
    assertThat(r.switchRound()).isEqualTo(2);
    assertThat(modes(r)).containsExactly("full", "hw", "hw", "sw", "sw", "sw", "final");
    RoundRecord fin = r.roundStats().get(r.roundStats().size() - 1);
    assertThat(fin.ptesVisited()).isEqualTo(fin.dirtyPages()).isLessThan(FakeVm.RAM_PAGES);
    assertThat(r.rounds()).isEqualTo(7);
    // the VM stays paused on the source; logging is off
    assertThat(vm.isRunning()).isFalse();
    assertThat(vm.resumes).isEqualTo(1);
    assertThat(vm.dirtyLog.mode).isEqualTo(DirtyLogMode.OFF);
    assertThat(target.resumedHere).isTrue();
    assertThat(r.guestWritesPerSecAfter()).isPositive();
    assertThat(r.roundStats().get(0).pagesSent()).isEqualTo(FakeVm.ROM_PAGES + FakeVm.RAM_PAGES);
    assertThat(r.roundStats().get(0).zeroPages()).isPositive();
  }

  @Test
  void reportCarriesTheBatchLatencyOfEveryRoundAndTheSyncTimeOfEverySyncedRound() {
    FakeVm vm = new FakeVm(clock, i -> 300);
    MigrationReport r = run(vm, settings(DirtyLogStrategy.HW, "cost", 1, 4, NoConvergenceAction.FORCE)).report();
    // FakeTarget times each round as one batch lasting the round's send time
    double maxSend = r.roundStats().stream().mapToDouble(RoundRecord::sendMillis).max().orElseThrow();
    assertThat(r.batchSendLatency().count()).isEqualTo(r.rounds());
    assertThat(r.batchSendLatency().maxMillis()).isCloseTo(maxSend, org.assertj.core.data.Percentage.withPercentage(1));
    // every round but the full one synced the dirty log
    long synced = r.roundStats().stream().filter(x -> !x.mode().equals("full")).count();
    double maxSync = r.roundStats().stream().mapToDouble(RoundRecord::syncMillis).max().orElseThrow();
    assertThat(r.syncTime().count()).isEqualTo(synced).isEqualTo(r.rounds() - 1);
    assertThat(r.syncTime().maxMillis()).isCloseTo(maxSync, org.assertj.core.data.Offset.offset(maxSync * 0.01 + 0.001));
  }

  @Test
  void hwNeverSwitchesAndFinalSyncScansEverything() {
    FakeVm vm = new FakeVm(clock, i -> 300);
    MigrationReport r = run(vm, settings(DirtyLogStrategy.HW, "cost", 1, 4, NoConvergenceAction.FORCE)).report();
    assertThat(r.verified()).isTrue();
    assertThat(r.switchRound()).isEqualTo(-1);
    assertThat(modes(r)).containsExactly("full", "hw", "hw", "hw", "final");
    assertThat(r.roundStats().get(4).ptesVisited()).isEqualTo(FakeVm.RAM_PAGES);
  }

  @Test
  void hwSwSwitchesBeforeThePauseWhenThePolicyHasNotYet() {
    FakeVm vm = new FakeVm(clock, i -> 100);
    MigrationReport r =
        run(vm, settings(DirtyLogStrategy.HW_SW, "cost", 300, 30, NoConvergenceAction.FORCE)).report();
    assertThat(r.verified()).isTrue();
    // round 1 converges; one more round harvests with the switch, then the final sync is software
    assertThat(modes(r)).containsExactly("full", "hw", "hw", "final");
    assertThat(r.switchRound()).isEqualTo(2);
    assertThat(vm.dirtyLog.history.get(vm.dirtyLog.history.size() - 1).mode()).isEqualTo(DirtyLogMode.SW);
  }

  @Test
  void aSwitchRoundThatBreaksThePredictionIsFollowedByMoreRoundsNotThePause() {
    // hardware rounds converge; the switch round then harvests a burst (sync 1; round 1 ran sync 0), which the source
    // must see before it pauses: it decides again and runs software rounds until they converge
    FakeVm vm = new FakeVm(clock, i -> i == 1 ? 1500 : 100);
    MigrationReport r =
        run(vm, settings(DirtyLogStrategy.HW_SW, "cost", 4, 30, NoConvergenceAction.FORCE)).report();
    assertThat(r.verified()).isTrue();
    assertThat(r.switchRound()).isEqualTo(2);
    List<String> m = modes(r);
    assertThat(m.subList(0, 3)).containsExactly("full", "hw", "hw");
    assertThat(m.get(3)).isEqualTo("sw"); // not "final": the switch round's estimate was above the limit
    assertThat(m.get(m.size() - 1)).isEqualTo("final");
    RoundRecord lastPrePause = r.roundStats().get(r.roundStats().size() - 2);
    assertThat(r.predictedDowntimeMillis()).isEqualTo(lastPrePause.estimatedDowntimeMillis());
    assertThat(r.predictionError()).isNotNull();
  }

  @Test
  void hwSwWithNeverBehavesLikeHw() {
    FakeVm vm = new FakeVm(clock, i -> 100);
    MigrationReport r =
        run(vm, settings(DirtyLogStrategy.HW_SW, "never", 300, 30, NoConvergenceAction.FORCE)).report();
    assertThat(modes(r)).containsExactly("full", "hw", "final");
    assertThat(r.switchRound()).isEqualTo(-1);
    assertThat(r.roundStats().get(2).ptesVisited()).isEqualTo(FakeVm.RAM_PAGES);
  }

  @Test
  void costPolicySwitchesOnceFaultsAreCheaperThanAScan() {
    // A scan: 1 ms × 2 threads = 2 ms of CPU. 200 expected dirty pages × 3 µs = 0.6 ms < 2 ms.
    FakeVm vm = new FakeVm(clock, i -> 300);
    MigrationReport r =
        controller(vm, settings(DirtyLogStrategy.HW_SW, "cost", 1, 5, NoConvergenceAction.FORCE), () -> 3_000)
            .run()
            .report();
    assertThat(r.switchRound()).isEqualTo(2);
    // with faults at 1 ms each it never pays off; the switch happens only before the pause
    FakeVm vm2 = new FakeVm(clock, i -> 300);
    MigrationReport r2 =
        controller(vm2, settings(DirtyLogStrategy.HW_SW, "cost", 1, 5, NoConvergenceAction.FORCE), () -> 1e6)
            .run()
            .report();
    assertThat(r2.switchRound()).isEqualTo(5);
    assertThat(modes(r2)).containsExactly("full", "hw", "hw", "hw", "hw", "hw", "final");
  }

  @Test
  void throttleStepsUpLikeAutoConvergeThenForces() {
    FakeVm vm = new FakeVm(clock, i -> 300);
    MigrationReport r = run(vm, settings(DirtyLogStrategy.SW, "never", 1, 2, NoConvergenceAction.THROTTLE)).report();
    assertThat(r.verified()).isTrue();
    assertThat(vm.throttles).startsWith(20, 30, 40, 50, 60, 70, 80, 90, 99);
    assertThat(r.maxThrottlePercent()).isEqualTo(99);
    assertThat(r.roundStats().stream().mapToInt(RoundRecord::throttlePercent).toArray())
        .startsWith(0, 0, 20, 30)
        .isSorted();
  }

  @Test
  void abortOnNoConvergenceKeepsTheVmRunningOnTheSource() {
    FakeVm vm = new FakeVm(clock, i -> 300);
    MigrationResult res = run(vm, settings(DirtyLogStrategy.HW, "never", 1, 3, NoConvergenceAction.ABORT));
    assertThat(res.report().outcome()).isEqualTo(MigrationReport.FAILED);
    assertThat(res.report().error()).contains("not converged");
    assertThat(res.fate()).isEqualTo(SourceVmFate.STAYS_ON_SOURCE);
    assertThat(target.aborted).isTrue();
    assertThat(vm.isRunning()).isTrue();
    assertThat(vm.pauses).isZero();
    assertThat(vm.dirtyLog.mode).isEqualTo(DirtyLogMode.OFF);
    assertThat(vm.dirtyLog.disables).isEqualTo(1);
  }

  @Test
  void cancelDuringARoundAbortsTheDestinationAndKeepsTheVm() {
    FakeVm vm = new FakeVm(clock, i -> 300);
    PreCopyController c = controller(vm, settings(DirtyLogStrategy.HW_SW, "never", 1, 10, NoConvergenceAction.FORCE), FaultCostMeter.UNKNOWN);
    AtomicReference<Boolean> accepted = new AtomicReference<>();
    target.beforeRound = round -> {
      if (round == 2) accepted.set(c.cancel("operator said so"));
    };
    MigrationResult res = c.run();
    assertThat(accepted.get()).isTrue();
    assertThat(res.report().outcome()).isEqualTo(MigrationReport.CANCELLED);
    assertThat(res.report().error()).contains("operator said so");
    assertThat(target.aborted).isTrue();
    assertThat(target.closed).isTrue();
    assertThat(vm.isRunning()).isTrue();
    assertThat(vm.dirtyLog.mode).isEqualTo(DirtyLogMode.OFF);
    assertThat(c.cancel("again")).isFalse();
  }

  @Test
  void mismatchResumesOnTheSourceExactlyOnce() {
    FakeVm vm = new FakeVm(clock, i -> 50);
    target.corruptGfn = io.dbmmigrate.machine.VmSpec.RAM_BASE_GFN + 5;
    MigrationResult res = run(vm, settings(DirtyLogStrategy.HW_SW, "cost", 300, 30, NoConvergenceAction.FORCE));
    assertThat(res.report().outcome()).isEqualTo(MigrationReport.FAILED);
    assertThat(res.report().match()).isFalse();
    assertThat(res.report().error()).contains("MISMATCH");
    assertThat(res.report().sourceDigest()).isNotEqualTo(res.report().destDigest());
    assertThat(res.fate()).isEqualTo(SourceVmFate.STAYS_ON_SOURCE);
    assertThat(vm.isRunning()).isTrue();
    assertThat(vm.resumes).isEqualTo(2); // warm-up start + resume after the refused commit
    assertThat(target.resumedHere).isFalse();
  }

  @Test
  void lostCommitAnswerNeverResumesTwice() {
    IntUnaryOperator dirty = i -> 50;
    FakeVm unreachable = new FakeVm(clock, dirty);
    target.commitThrows = true;
    target.probe = DestinationProbe.UNREACHABLE;
    MigrationResult a = run(unreachable, settings(DirtyLogStrategy.SW, "never", 300, 30, NoConvergenceAction.FORCE));
    assertThat(a.fate()).isEqualTo(SourceVmFate.PAUSED_OUTCOME_UNKNOWN);
    assertThat(unreachable.isRunning()).isFalse();
    assertThat(a.report().error()).contains("PAUSED");

    FakeVm running = new FakeVm(clock, dirty);
    target.probe = DestinationProbe.RUNNING;
    MigrationResult b = run(running, settings(DirtyLogStrategy.SW, "never", 300, 30, NoConvergenceAction.FORCE));
    assertThat(b.fate()).isEqualTo(SourceVmFate.MOVED);
    assertThat(running.isRunning()).isFalse();

    FakeVm gone = new FakeVm(clock, dirty);
    target.probe = DestinationProbe.NOT_RUNNING;
    MigrationResult c = run(gone, settings(DirtyLogStrategy.SW, "never", 300, 30, NoConvergenceAction.FORCE));
    assertThat(c.fate()).isEqualTo(SourceVmFate.STAYS_ON_SOURCE);
    assertThat(gone.isRunning()).isTrue();
    assertThat(gone.resumes).isEqualTo(2);
  }

  @Test
  void aDestinationWithoutTimingsLeavesItsShareUnaccounted() {
    target.reportTimings = false;
    FakeVm vm = new FakeVm(clock, i -> 40);
    MigrationReport r = run(vm, settings(DirtyLogStrategy.SW, "never", 300, 30, NoConvergenceAction.FORCE)).report();
    io.dbmmigrate.report.DowntimeParts p = r.downtimeParts();
    // an older destination says only "8 ms of hashing": the rest of the call counts as the exchange
    assertThat(p.destRestoreMillis()).isZero();
    assertThat(p.unaccountedMillis()).isCloseTo(0, org.assertj.core.data.Offset.offset(1e-6));
    assertThat(p.commitExchangeMillis()).isCloseTo(1, org.assertj.core.data.Offset.offset(1e-6));
    assertThat(r.gc().destReported()).isFalse();
  }

  @Test
  void aFailedRunHasNoDowntimeParts() {
    FakeVm vm = new FakeVm(clock, i -> 300);
    MigrationReport r = run(vm, settings(DirtyLogStrategy.HW, "never", 1, 3, NoConvergenceAction.ABORT)).report();
    assertThat(r.downtimeParts()).isNull();
    assertThat(r.predictionError()).isNull();
    assertThat(r.gc().phases()).extracting(g -> g.phase()).contains("setup", "rounds");
  }

  @Test
  void downtimeExcludesHashingAndTimelineIsSampled() {
    FakeVm vm = new FakeVm(clock, i -> 40);
    MigrationReport r = run(vm, settings(DirtyLogStrategy.HW_SW, "cost", 300, 30, NoConvergenceAction.FORCE)).report();
    // pause → answer: final sync 1 ms + final send + the fake destination's 1 + 2 + 0.5 ms of
    // parts and 0.5 ms on the wire; its 5 ms of hashing are not downtime
    RoundRecord fin = r.roundStats().get(r.roundStats().size() - 1);
    org.assertj.core.data.Offset<Double> exact = org.assertj.core.data.Offset.offset(1e-6);
    assertThat(r.downtimeMillis()).isCloseTo(fin.syncMillis() + fin.sendMillis() + 4, exact);
    assertThat(r.verifyMillis()).isGreaterThanOrEqualTo(5);
    io.dbmmigrate.report.DowntimeParts p = r.downtimeParts();
    assertThat(p.finalSyncMillis()).isEqualTo(fin.syncMillis());
    assertThat(p.finalSendMillis()).isEqualTo(fin.sendMillis());
    assertThat(p.finalSendPages()).isEqualTo(fin.pagesSent());
    assertThat(p.finalSyncPtes()).isEqualTo(fin.ptesVisited());
    assertThat(p.commitExchangeMillis()).isCloseTo(0.5, exact);
    assertThat(p.destCompletenessMillis()).isEqualTo(1);
    assertThat(p.destRestoreMillis()).isEqualTo(2);
    assertThat(p.destResumeMillis()).isEqualTo(0.5);
    assertThat(p.unaccountedMillis()).isCloseTo(0, exact);
    assertThat(p.accountedMillis() + p.unaccountedMillis()).isCloseTo(r.downtimeMillis(), exact);
    assertThat(r.gc()).isNotNull();
    assertThat(r.gc().destReported()).isTrue();
    assertThat(r.jit()).as("HotSpot reports compile time").isNotNull();
    assertThat(r.jit().roundsMillis()).isGreaterThanOrEqualTo(0);
    assertThat(r.jit().downtimeMillis()).isGreaterThanOrEqualTo(0);
    assertThat(r.timeline()).anyMatch(t -> t.phase().equals("after"));
    assertThat(r.parameters()).containsEntry("dirtyLog", "hw-sw").containsEntry("switchPolicy", "cost");
    assertThat(r.vm().ramBytes()).isEqualTo(FakeVm.RAM_PAGES * 4096L);
  }

  @org.junit.jupiter.api.Test
  void jitTimeIsSplitAtThePauseAndTheAnswer() {
    MigrationTimeline t = new MigrationTimeline();
    t.roundsStart = 1_000_000_000L;
    t.pause = 3_000_000_000L; // 2 s of rounds
    t.jitAtRoundsStart = 100;
    t.jitAtPause = 600;
    t.jitAtAnswer = 650;
    io.dbmmigrate.report.JitReport j = PreCopyController.jitReport(t);
    assertThat(j.roundsMillis()).isEqualTo(500);
    assertThat(j.downtimeMillis()).isEqualTo(50);
    assertThat(j.roundsShare()).isEqualTo(0.25);
    assertThat(j.destRoundsMillis()).as("a destination that did not report").isNull();
    t.dest = new DestCommitTimings(true, 1, 1, 1, 1, 1, true, java.util.List.of(), 1200.0, 80.0);
    j = PreCopyController.jitReport(t);
    assertThat(j.destRoundsMillis()).isEqualTo(1200.0);
    assertThat(j.destCommitMillis()).isEqualTo(80.0);
    t.jitAtRoundsStart = -1; // the JVM does not report compile time
    assertThat(PreCopyController.jitReport(t)).isNull();
  }
}
