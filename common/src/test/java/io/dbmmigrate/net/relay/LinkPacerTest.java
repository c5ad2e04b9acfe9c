package io.dbmmigrate.net.relay;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LinkPacerTest {
  @Test
  void unlimitedRateNeverDelays() {
    LinkPacer p = new LinkPacer(0);
    assertThat(p.reserve(1_000, 1 << 20)).isEqualTo(1_000);
    assertThat(p.reserve(1_000, 1 << 20)).isEqualTo(1_000);
  }

  @Test
  void backToBackChunksQueueBehindEachOther() {
    LinkPacer p = new LinkPacer(1_000_000); // 1 MB/s: 1 byte per microsecond
    assertThat(p.reserve(0, 1_000)).isEqualTo(1_000_000);
    assertThat(p.reserve(0, 1_000)).isEqualTo(2_000_000);
    assertThat(p.reserve(500_000, 1_000)).isEqualTo(3_000_000);
  }

  @Test
  void anIdleLinkStartsAtNow() {
    LinkPacer p = new LinkPacer(1_000_000);
    p.reserve(0, 1_000);
    assertThat(p.reserve(10_000_000, 1_000)).isEqualTo(11_000_000);
  }
}
