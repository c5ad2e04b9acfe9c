package io.dbmmigrate.source.failure;

import static org.assertj.core.api.Assertions.assertThat;

import io.dbmmigrate.net.relay.Relay;
import io.dbmmigrate.proto.v1.MigrationSummary;
import io.dbmmigrate.proto.v1.Phase;
import io.dbmmigrate.source.nodes.NodeProcess;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A link that silently stops delivering mid-round (a user-space relay between the nodes stalls:
 * connections stay open, no byte passes, no RST, as with a dead router or a partition): the source
 * detects it by its stream watchdog and aborts, its VM keeps running; the destination, which the
 * Abort cannot reach, discards the session by its idle timeout; afterwards a migration over a
 * working path succeeds.
 *
 * <p>Bounds: source — watchdog {@value FailureFixture#STREAM_STALL_MILLIS} ms + Abort deadline
 * {@value FailureFixture#RPC_TIMEOUT_MILLIS} ms + 4 s slack; destination — idle timeout {@value
 * FailureFixture#DEST_IDLE_MILLIS} ms + 1 s reaper period + 4 s slack.
 */
class CutLinkEndToEndIT {
  static final long SOURCE_BOUND_MILLIS =
      FailureFixture.STREAM_STALL_MILLIS + FailureFixture.RPC_TIMEOUT_MILLIS + 4_000;
  static final long DEST_BOUND_MILLIS = FailureFixture.DEST_IDLE_MILLIS + 1_000 + 4_000;

  @TempDir Path dir;

  @Test
  void aStalledLinkIsDetectedAndAbortedOnBothSides() throws Exception {
    try (FailureFixture f = new FailureFixture(dir)) {
      NodeProcess destination = f.destination("dest");
      NodeClient dest = f.client(destination);
      NodeProcess src = f.servingSource("source");
      NodeClient source = f.client(src);
      try (Relay relay = Relay.start(0, "127.0.0.1", destination.port(), 0, 0)) {
        NodeClient.Migration m = source.start("127.0.0.1:" + relay.port(), FailureFixture.slow());
        m.await(e -> e.hasProgress() && e.getProgress().getPagesDone() > 0, 60_000);
        f.step("pages flowing through the relay; stalling it");
        long t0 = System.nanoTime();
        relay.setStalled(true);
        MigrationSummary s = m.awaitSummary(60_000);
        long detectMillis = (System.nanoTime() - t0) / 1_000_000;
        assertThat(s.getOutcome()).isEqualTo(Phase.PHASE_FAILED);
        assertThat(s.getResumed()).isFalse();
        FailureFixture.assertRunsAndProgresses(source, "source after the link stalled");
        FailureFixture.awaitHostsNothing(dest, "destination behind the stalled link",
            Duration.ofMillis(DEST_BOUND_MILLIS - detectMillis));
        long discardMillis = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("RELIABILITY cut-link: source failed " + detectMillis + " ms after the stall (bound "
            + SOURCE_BOUND_MILLIS + " ms; " + s.getError() + "); destination discarded the session "
            + discardMillis + " ms after it (bound " + DEST_BOUND_MILLIS + " ms)");
        assertThat(detectMillis).isLessThan(SOURCE_BOUND_MILLIS);

        // A working path: the same source and destination, directly.
        FailureFixture.assertMoved(
            source.start(destination.target(), FailureFixture.fast()).awaitSummary(120_000), source, dest);
      } catch (AssertionError | Exception e) {
        throw new AssertionError(e.getMessage() + "\n" + f.logs(), e);
      }
    }
  }
}
