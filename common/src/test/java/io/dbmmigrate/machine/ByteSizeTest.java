package io.dbmmigrate.machine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ByteSizeTest {
  @Test
  void suffixesAreBinary() {
    assertThat(ByteSize.parse("4096")).isEqualTo(4096);
    assertThat(ByteSize.parse("64k")).isEqualTo(64 << 10);
    assertThat(ByteSize.parse("512M")).isEqualTo(512L << 20);
    assertThat(ByteSize.parse("1g")).isEqualTo(1L << 30);
    assertThat(ByteSize.parse("2MiB")).isEqualTo(2L << 20);
    assertThat(ByteSize.parse("1t")).isEqualTo(1L << 40);
    assertThat(ByteSize.format(64L << 30)).isEqualTo("64 GiB");
    assertThat(ByteSize.format(1000)).isEqualTo("1000 B");
  }

  @Test
  void garbageIsRejected() {
    assertThatThrownBy(() -> ByteSize.parse("1x")).hasMessageContaining("not a size");
    assertThatThrownBy(() -> ByteSize.parse("-1m")).hasMessageContaining("negative");
    assertThatThrownBy(() -> ByteSize.parse("99999999999t")).hasMessageContaining("too large");
    assertThatThrownBy(() -> ByteSize.parse("")).hasMessageContaining("empty");
  }
}
