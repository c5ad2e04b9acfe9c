package io.dbmmigrate.source.failure;

import static org.assertj.core.api.Assertions.assertThat;

import io.dbmmigrate.source.nodes.NodeProcess;
import java.nio.file.Path;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of the source mid-migration (real processes): the destination discards the session
 * (broken streams at once; at the latest after its idle timeout), never resumes it, and accepts
 * the next migration, which succeeds.
 */
class SourceCrashEndToEndIT {
  /** Idle timeout + one reaper period + slack. */
  static final long DISCARD_BOUND_MILLIS = FailureFixture.DEST_IDLE_MILLIS + 1_000 + 4_000;

  @TempDir Path dir;

  @Test
  void killingTheSourceMidRoundMakesTheDestinationDiscardTheSession() throws Exception {
    try (FailureFixture f = new FailureFixture(dir)) {
      NodeProcess destination = f.destination("dest");
      NodeClient dest = f.client(destination);
      NodeProcess src1 = f.servingSource("source1");
      NodeClient source1 = f.client(src1);
      try {
        NodeClient.Migration m = source1.start(destination.target(), FailureFixture.slow());
        m.await(e -> e.hasProgress() && e.getProgress().getPagesDone() > 0, 60_000);
        assertThat(dest.progress().getVmState()).isEqualTo("receiving");
        long t0 = System.nanoTime();
        src1.kill9();
        FailureFixture.awaitHostsNothing(dest, "destination", Duration.ofMillis(DISCARD_BOUND_MILLIS));
        long discardMillis = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("RELIABILITY source-kill9: destination discarded the session " + discardMillis
            + " ms after SIGKILL (bound " + DISCARD_BOUND_MILLIS + " ms)");
        // It stays discarded (nothing resumes it later).
        Awaitility.await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(3))
            .until(() -> !dest.progress().getHasVm());
        assertThat(destination.logContains("discarded")).as("destination log names the discard").isTrue();

        NodeProcess src2 = f.servingSource("source2");
        NodeClient source2 = f.client(src2);
        FailureFixture.assertMoved(
            source2.start(destination.target(), FailureFixture.fast()).awaitSummary(120_000), source2, dest);
      } catch (AssertionError | Exception e) {
        throw new AssertionError(e.getMessage() + "\n" + f.logs(), e);
      }
    }
  }
}
