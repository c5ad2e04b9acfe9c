package io.dbmmigrate.source.failure;

import static org.assertj.core.api.Assertions.assertThat;

import io.dbmmigrate.net.relay.Relay;
import io.dbmmigrate.net.relay.RelayOptions;
import io.dbmmigrate.proto.v1.MigrationParameters;
import io.dbmmigrate.proto.v1.MigrationSummary;
import io.dbmmigrate.proto.v1.Phase;
import io.dbmmigrate.proto.v1.PostcopyStats;
import io.dbmmigrate.source.nodes.NodeProcess;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Post-copy survives a cut link (QEMU's postcopy-recover after a network failure, not only a stall):
 * after switchover the relay between the nodes resets every connection and refuses new ones for
 * {@value #DOWN_MILLIS} ms, as {@code ip link set ... down} would; the destination's vCPUs that touch
 * missing pages wait (its VM retires no store while the link is down); the source's reconnection
 * attempts fail until the link is up, then it reconnects, learns which pages are still missing and
 * sends them; the run completes and the receipt digest matches the source's image at switchover.
 *
 * <p>The netns testbed shows the same with a real interface going down: {@code
 * deploy/netns/postcopy-cut-link.sh} (root).
 *
 * <p>Bounds: recovery gives up only after {@value #RECOVER_MILLIS} ms, far beyond the outage.
 */
class PostcopyCutLinkIT {
  static final long DOWN_MILLIS = 4_000;
  static final long RECOVER_MILLIS = 60_000;

  @TempDir Path dir;

  @Test
  void aCutLinkPausesPostcopyAndTheSourceReconnectsAndCompletesIt() throws Exception {
    try (FailureFixture f = new FailureFixture(dir)) {
      NodeProcess destination = f.destination("dest");
      NodeClient dest = f.client(destination);
      NodeProcess src = f.servingSource("source");
      NodeClient source = f.client(src);
      // 4 MiB/s: the 32 MiB guest takes about 8 s to follow the VM, time to cut the link mid-way.
      try (Relay relay =
          Relay.start(0, "127.0.0.1", destination.port(), 0, 0, RelayOptions.defaults().withRateBytesPerSec(4L << 20))) {
        MigrationParameters p =
            FailureFixture.fast().toBuilder().setMode("postcopy").setPostcopyRecoverMillis(RECOVER_MILLIS).build();
        NodeClient.Migration m = source.start("127.0.0.1:" + relay.port(), p);
        m.await(e -> e.hasPhase() && e.getPhase().getDetail().contains("post-copy: the VM resumes"), 60_000);
        f.step("post-copy started; the VM runs on the destination");
        Thread.sleep(1_000);
        relay.setLinkDown(true);
        f.step("link down: connections reset, new ones refused");
        // The vCPUs hit missing pages within milliseconds (random stores over a guest mostly missing),
        // and then wait: the VM makes no progress while no page can arrive.
        Thread.sleep(1_000);
        long storesA = dest.progress().getStoresRetired();
        Thread.sleep(DOWN_MILLIS - 1_000);
        long storesB = dest.progress().getStoresRetired();
        assertThat(storesB).as("stores retired on the destination while the link is down").isEqualTo(storesA);
        assertThat(relay.refusedWhileDown()).as("the source tried to reconnect while the link was down").isPositive();
        relay.setLinkDown(false);
        f.step("link up (refused " + relay.refusedWhileDown() + " connection attempts while down)");
        MigrationSummary s = m.awaitSummary(RECOVER_MILLIS + 60_000);
        PostcopyStats ps = s.getPostcopy();
        f.step("summary: " + s.getOutcome() + " recoveries " + ps.getRecoveries() + " blocktime total "
            + ps.getBlocktimeMillisTotal() + " ms, per vCPU " + ps.getBlocktimeMillisPerVcpuList() + " " + s.getError());
        assertThat(s.getOutcome()).as("outcome: " + s.getError()).isEqualTo(Phase.PHASE_COMPLETED);
        assertThat(ps.getMode()).isEqualTo("postcopy");
        assertThat(ps.getReceiptMatch()).isTrue();
        assertThat(ps.getMismatchedRangesList()).isEmpty();
        assertThat(ps.getRecoveries()).as("reconnections after the cut").isPositive();
        assertThat(ps.getBlocktimeMillisTotal()).as("time all vCPUs waited at once").isPositive();
        assertThat(s.getSourceDigest()).isEqualTo(s.getDestDigest());
        FailureFixture.assertHostsNothing(source, "source after the move");
        FailureFixture.assertRunsAndProgresses(dest, "destination after the move");
      } catch (AssertionError | Exception e) {
        throw new AssertionError(e.getMessage() + "\n" + f.logs(), e);
      }
    }
  }
}
