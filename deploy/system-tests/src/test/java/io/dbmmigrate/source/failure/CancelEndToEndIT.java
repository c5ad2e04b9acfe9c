package io.dbmmigrate.source.failure;

import static org.assertj.core.api.Assertions.assertThat;

import io.dbmmigrate.proto.v1.CancelResponse;
import io.dbmmigrate.proto.v1.MigrationSummary;
import io.dbmmigrate.proto.v1.Phase;
import io.dbmmigrate.source.nodes.NodeProcess;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cancel through the control API in every phase before the commit — setup, pre-copy rounds, and
 * after the pause — with real processes: afterwards the VM runs on exactly one side (the source,
 * when the cancel was accepted), and the same destination then accepts a migration that succeeds.
 *
 * <p>To hold the migration in SETUP, the destination is frozen with SIGSTOP while the source opens
 * the session (its BeginSession then waits for the deadline); to hold it in PAUSED, the final
 * round is made long with a bandwidth cap and a dirty rate the cap cannot follow.
 */
class CancelEndToEndIT {
  @TempDir Path dir;

  @Test
  void cancelInSetupRoundsAndPauseLeavesTheVmOnExactlyOneSide() throws Exception {
    try (FailureFixture f = new FailureFixture(dir)) {
      NodeProcess destination = f.destination("dest");
      NodeClient dest = f.client(destination);
      NodeProcess src = f.servingSource("source");
      NodeClient source = f.client(src);
      try {
        // --- SETUP ---
        destination.freeze();
        NodeClient.Migration m = source.start(destination.target(), FailureFixture.fast());
        m.await(e -> e.hasPhase() && e.getPhase().getPhase() == Phase.PHASE_SETUP, 30_000);
        CancelResponse c = source.cancel("test: cancel in setup");
        destination.thaw();
        MigrationSummary s = m.awaitSummary(30_000);
        report("setup", c, s);
        assertThat(c.getCancelled()).isTrue();
        assertThat(s.getOutcome()).isEqualTo(Phase.PHASE_CANCELLED);
        FailureFixture.assertRunsAndProgresses(source, "source after cancel in setup");
        // The session may have been created after the thaw without the source ever learning its id:
        // the destination discards it by its idle timeout at the latest.
        FailureFixture.awaitHostsNothing(dest, "destination after cancel in setup",
            Duration.ofMillis(FailureFixture.DEST_IDLE_MILLIS + 6_000));

        // --- ROUNDS ---
        m = source.start(destination.target(), FailureFixture.slow());
        m.await(e -> e.hasProgress() && e.getProgress().getPagesDone() > 0, 60_000);
        c = source.cancel("test: cancel in rounds");
        s = m.awaitSummary(30_000);
        report("rounds", c, s);
        assertThat(c.getCancelled()).isTrue();
        assertThat(s.getOutcome()).isEqualTo(Phase.PHASE_CANCELLED);
        FailureFixture.assertRunsAndProgresses(source, "source after cancel in rounds");
        // The source aborts the session, so the destination drops it well before its idle timeout.
        FailureFixture.awaitHostsNothing(dest, "destination after cancel in rounds", Duration.ofMillis(3_000));

        // --- PAUSED (after the pause, before the commit) ---
        m = source.start(destination.target(), FailureFixture.slow().toBuilder().setMaxRounds(1).build());
        m.await(e -> e.hasPhase() && e.getPhase().getPhase() == Phase.PHASE_PAUSED, 90_000);
        c = source.cancel("test: cancel after pause");
        s = m.awaitSummary(60_000);
        report("paused", c, s);
        if (c.getCancelled()) {
          assertThat(s.getOutcome()).isEqualTo(Phase.PHASE_CANCELLED);
          FailureFixture.assertRunsAndProgresses(source, "source after cancel in pause");
          FailureFixture.awaitHostsNothing(dest, "destination after cancel in pause", Duration.ofMillis(3_000));
        } else {
          // Lost the race with the commit: then the VM moved, and only the destination runs it.
          assertThat(c.getPhase()).isIn(Phase.PHASE_COMMITTING, Phase.PHASE_COMPLETED);
          FailureFixture.assertMoved(s, source, dest);
          return;
        }

        // --- and the same destination accepts the next migration, which succeeds ---
        FailureFixture.assertMoved(
            source.start(destination.target(), FailureFixture.fast()).awaitSummary(120_000), source, dest);
      } catch (AssertionError | Exception e) {
        throw new AssertionError(e.getMessage() + "\n" + f.logs(), e);
      }
    }
  }

  private static void report(String phase, CancelResponse c, MigrationSummary s) {
    System.out.println("RELIABILITY cancel-" + phase + ": cancelled=" + c.getCancelled() + " (phase " + c.getPhase()
        + "), outcome " + s.getOutcome() + ", resumed on destination=" + s.getResumed() + "; " + s.getError());
  }
}
