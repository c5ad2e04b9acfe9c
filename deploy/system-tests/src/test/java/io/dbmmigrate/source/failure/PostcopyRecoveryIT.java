package io.dbmmigrate.source.failure;

import static org.assertj.core.api.Assertions.assertThat;

import io.dbmmigrate.net.relay.Relay;
import io.dbmmigrate.net.relay.RelayOptions;
import io.dbmmigrate.proto.v1.CancelResponse;
import io.dbmmigrate.proto.v1.MigrationParameters;
import io.dbmmigrate.proto.v1.MigrationSummary;
import io.dbmmigrate.proto.v1.Phase;
import io.dbmmigrate.source.nodes.NodeProcess;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Post-copy survives a stalled link (QEMU's postcopy-recover): the VM already runs on the
 * destination when the relay between the nodes stops passing bytes; vCPUs that touch missing pages
 * wait, the source's watchdog breaks the post-copy connection and reconnects until the link works
 * again; the missing pages then arrive and the receipt digest matches. A cancel while post-copy
 * runs is refused with a message saying why.
 *
 * <p>Bounds: the stall lasts {@value #STALL_MILLIS} ms, longer than the source's watchdog ({@value
 * FailureFixture#STREAM_STALL_MILLIS} ms), so at least one reconnection happens; recovery gives up
 * only after {@value #RECOVER_MILLIS} ms.
 */
class PostcopyRecoveryIT {
  static final long STALL_MILLIS = 6_000;
  static final long RECOVER_MILLIS = 60_000;

  @TempDir Path dir;

  @Test
  void aStalledLinkPausesPostcopyAndRecoveryCompletesIt() throws Exception {
    try (FailureFixture f = new FailureFixture(dir)) {
      NodeProcess destination = f.destination("dest");
      NodeClient dest = f.client(destination);
      NodeProcess src = f.servingSource("source");
      NodeClient source = f.client(src);
      // 4 MiB/s: the 32 MiB guest takes about 8 s to follow the VM, time to stall the link mid-way.
      try (Relay relay =
          Relay.start(0, "127.0.0.1", destination.port(), 0, 0, RelayOptions.defaults().withRateBytesPerSec(4L << 20))) {
        MigrationParameters p =
            FailureFixture.fast().toBuilder()
                .setMode("postcopy")
                .setPostcopyRecoverMillis(RECOVER_MILLIS)
                .build();
        NodeClient.Migration m = source.start("127.0.0.1:" + relay.port(), p);
        m.await(e -> e.hasPhase() && e.getPhase().getDetail().contains("post-copy: the VM resumes"), 60_000);
        f.step("post-copy started; the VM runs on the destination");
        Thread.sleep(1_000);
        relay.setStalled(true);
        f.step("relay stalled");
        CancelResponse c = source.cancel("test: cancel after switchover");
        assertThat(c.getCancelled()).isFalse();
        assertThat(c.getDetail()).contains("post-copy has started");
        Thread.sleep(STALL_MILLIS);
        relay.setStalled(false);
        f.step("relay flowing again");
        MigrationSummary s = m.awaitSummary(RECOVER_MILLIS + 60_000);
        f.step("summary: " + s.getOutcome() + " recoveries " + s.getPostcopyRecoveries() + " " + s.getError());
        assertThat(s.getOutcome()).as("outcome: " + s.getError()).isEqualTo(Phase.PHASE_COMPLETED);
        assertThat(s.getPostcopyMode()).isEqualTo("postcopy");
        assertThat(s.getPostcopyReceiptMatch()).isTrue();
        assertThat(s.getPostcopyRecoveries()).as("reconnections after the stall").isPositive();
        assertThat(s.getSourceDigest()).isEqualTo(s.getDestDigest());
        FailureFixture.assertHostsNothing(source, "source after the move");
        FailureFixture.assertRunsAndProgresses(dest, "destination after the move");
      } catch (AssertionError | Exception e) {
        throw new AssertionError(e.getMessage() + "\n" + f.logs(), e);
      }
    }
  }
}
