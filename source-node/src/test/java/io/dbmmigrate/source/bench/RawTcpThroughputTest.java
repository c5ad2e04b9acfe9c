package io.dbmmigrate.source.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Each baseline sink moves every byte (measure checks the sink's count against what was sent and
 * throws otherwise), also for a size that is not a whole number of 1 MiB buffers. No timing.
 */
class RawTcpThroughputTest {
  @ParameterizedTest
  @EnumSource(RawTcpThroughput.Sink.class)
  void everySinkReceivesEveryByte(RawTcpThroughput.Sink sink) throws Exception {
    assertThat(RawTcpThroughput.measure((5L << 20) + 12288, sink)).isPositive();
  }
}
