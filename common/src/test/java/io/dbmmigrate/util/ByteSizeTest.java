package io.dbmmigrate.util;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ByteSizeTest {
  @Test
  void parsesSuffixes() {
    assertThat(ByteSize.parse("4096")).isEqualTo(4096);
    assertThat(ByteSize.parse("64k")).isEqualTo(65536);
    assertThat(ByteSize.parse("512M")).isEqualTo(512L << 20);
    assertThat(ByteSize.parse("2GiB")).isEqualTo(2L << 30);
    assertThat(ByteSize.parse("64g")).isEqualTo(64L << 30);
    assertThat(ByteSize.parse("1t")).isEqualTo(1L << 40);
  }

  @Test
  void refusesGarbageWithAClearMessage() {
    assertThatThrownBy(() -> ByteSize.parse("lots")).hasMessageContaining("not a size: 'lots'");
    assertThatThrownBy(() -> ByteSize.parse("-1")).hasMessageContaining("negative");
    assertThatThrownBy(() -> ByteSize.parse("99999999999t")).hasMessageContaining("too large");
    assertThatThrownBy(() -> ByteSize.parse(" ")).hasMessageContaining("empty");
  }

  @Test
  void formats() {
    assertThat(ByteSize.format(1536L << 20)).isEqualTo("1.5 GiB");
    assertThat(ByteSize.format(100)).isEqualTo("100 B");
  }
}
