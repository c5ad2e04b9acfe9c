package io.dbmmigrate.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SizesTest {
  @Test
  void parsesAndFormatsBinarySizes() {
    assertThat(Sizes.parseBytes("4k")).isEqualTo(4096);
    assertThat(Sizes.parseBytes("2M")).isEqualTo(2L << 20);
    assertThat(Sizes.parseBytes("64GiB")).isEqualTo(64L << 30);
    assertThat(Sizes.parseBytes("512")).isEqualTo(512);
    assertThat(Sizes.formatBytes(1L << 30)).isEqualTo("1g");
    assertThat(Sizes.formatBytes(1536L << 20)).isEqualTo("1536m");
    assertThat(Sizes.formatBytes(1000)).isEqualTo("1000");
    assertThatThrownBy(() -> Sizes.parseBytes("lots")).hasMessageContaining("not a size");
  }

  @Test
  void parsesRatesInTcUnits() {
    assertThat(Sizes.parseRateBytesPerSec("100mbit")).isEqualTo(12_500_000);
    assertThat(Sizes.parseRateBytesPerSec("1gbit")).isEqualTo(125_000_000);
    assertThat(Sizes.parseRateBytesPerSec("0")).isZero();
    assertThat(Sizes.formatRate("1000mbit")).isEqualTo("1gbit");
    assertThat(Sizes.formatRate("2.5gbit")).isEqualTo("2500mbit");
    assertThatThrownBy(() -> Sizes.parseRateBytesPerSec("100mbps")).hasMessageContaining("not a link rate");
  }

  @Test
  void decimalsDropTrailingZeros() {
    assertThat(Sizes.formatDecimal("5.0")).isEqualTo("5");
    assertThat(Sizes.formatDecimal("0.50")).isEqualTo("0.5");
    assertThat(Sizes.formatDecimal("0.0")).isEqualTo("0");
  }
}
