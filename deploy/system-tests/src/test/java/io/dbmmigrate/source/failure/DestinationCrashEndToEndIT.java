package io.dbmmigrate.source.failure;

import static org.assertj.core.api.Assertions.assertThat;

import io.dbmmigrate.proto.v1.MigrationSummary;
import io.dbmmigrate.proto.v1.Phase;
import io.dbmmigrate.source.nodes.NodeProcess;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of the destination in the middle of a round (real processes): the source reports the
 * failure within the stated bound, its VM keeps running with its vCPUs making progress, dirty
 * logging is off, and a new migration to a fresh destination then succeeds with matching digests.
 *
 * <p>Bound: a killed process's sockets are closed by the kernel, so the source sees the streams
 * break at once; the bound allows for the case where it does not (the stream watchdog,
 * {@value FailureFixture#STREAM_STALL_MILLIS} ms, then the Abort deadline, {@value
 * FailureFixture#RPC_TIMEOUT_MILLIS} ms) plus 4 s of scheduling slack on a busy 2-core machine.
 *
 * <p>"Dirty logging off" is observed through the VM itself: the simulated dirty log refuses to be
 * enabled twice, so the second migration of the same VM can only start if the failed one turned
 * it off.
 */
class DestinationCrashEndToEndIT {
  static final long DETECTION_BOUND_MILLIS =
      FailureFixture.STREAM_STALL_MILLIS + FailureFixture.RPC_TIMEOUT_MILLIS + 4_000;

  @TempDir Path dir;

  @Test
  void killingTheDestinationMidRoundLeavesTheVmRunningOnTheSource() throws Exception {
    try (FailureFixture f = new FailureFixture(dir)) {
      NodeProcess dest1 = f.destination("dest1");
      NodeProcess src = f.servingSource("source");
      NodeClient source = f.client(src);
      try {
        NodeClient.Migration m = source.start(dest1.target(), FailureFixture.slow());
        // Mid-round: pages are flowing (dirty logging is on from the setup onwards).
        m.await(e -> e.hasProgress() && e.getProgress().getPagesDone() > 0, 60_000);
        f.step("pages flowing; kill -9 dest1");
        long t0 = System.nanoTime();
        dest1.kill9();
        MigrationSummary s = m.awaitSummary(60_000);
        long detectMillis = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("RELIABILITY dest-kill9: failure reported " + detectMillis + " ms after SIGKILL (bound "
            + DETECTION_BOUND_MILLIS + " ms); error: " + s.getError());
        assertThat(s.getOutcome()).isEqualTo(Phase.PHASE_FAILED);
        assertThat(s.getResumed()).isFalse();
        assertThat(detectMillis).isLessThan(DETECTION_BOUND_MILLIS);
        FailureFixture.assertRunsAndProgresses(source, "source after the destination died");
        f.step("failure reported; source VM runs");

        NodeProcess dest2 = f.destination("dest2");
        NodeClient dest = f.client(dest2);
        MigrationSummary ok = source.start(dest2.target(), FailureFixture.fast()).awaitSummary(120_000);
        f.step("retry done");
        System.out.println("RELIABILITY dest-kill9: retry to a fresh destination: " + ok.getOutcome()
            + " match=" + ok.getMatch() + " rounds=" + ok.getRounds());
        FailureFixture.assertMoved(ok, source, dest);
      } catch (AssertionError | Exception e) {
        throw new AssertionError(e.getMessage() + "\n" + f.logs(), e);
      }
    }
  }
}
