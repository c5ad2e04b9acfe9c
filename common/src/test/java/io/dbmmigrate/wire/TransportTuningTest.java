package io.dbmmigrate.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class TransportTuningTest {
  private static TransportTuning withPermit(Duration permit) {
    TransportTuning d = TransportTuning.DEFAULT;
    return new TransportTuning(
        d.flowControlWindowBytes(), d.clientKeepAlive(), d.keepAliveTimeout(), d.serverKeepAlive(), permit,
        d.clientMaxInboundMessageBytes(), d.maxInboundMetadataBytes(), d.maxFrameBytes());
  }

  @Test
  void serversPermitTheClientsKeepalive() {
    TransportTuning d = TransportTuning.DEFAULT;
    assertThat(d.permitKeepAlive()).isLessThanOrEqualTo(d.clientKeepAlive());
    assertThat(withPermit(d.clientKeepAlive()).permitKeepAlive()).isEqualTo(d.clientKeepAlive());
  }

  @Test
  void aServerThatWouldRejectTheClientsPingsCannotBeBuilt() {
    Duration tooLong = TransportTuning.DEFAULT.clientKeepAlive().plusSeconds(1);
    assertThatThrownBy(() -> withPermit(tooLong))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("keepalive");
  }

  @Test
  void theWindowHoldsAtLeastOneDefaultPageBatch() {
    // grpc-java starts at 1 MiB: a 1 MiB batch would wait for a window update on every message.
    assertThat(TransportTuning.DEFAULT.flowControlWindowBytes()).isGreaterThan(1 << 20);
  }

  @Test
  void theFrameSizeStaysWithinWhatHttp2Allows() {
    assertThat(TransportTuning.DEFAULT.withMaxFrameBytes(16 << 10).maxFrameBytes()).isEqualTo(16 << 10);
    assertThat(TransportTuning.DEFAULT.withMaxFrameBytes((1 << 24) - 1).maxFrameBytes()).isEqualTo((1 << 24) - 1);
    assertThatThrownBy(() -> TransportTuning.DEFAULT.withMaxFrameBytes((16 << 10) - 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("frame size");
    assertThatThrownBy(() -> TransportTuning.DEFAULT.withMaxFrameBytes(1 << 24))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("frame size");
  }
}
