package io.dbmmigrate.experiment;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * The perf probe on a small guest with a fast DMA device: every mode's log loses nothing (and its
 * harvests report the pages written), and the log that forgets the device bitmap is caught by the
 * probe's oracle. Together they show that the oracle neither misses a loss nor invents one.
 */
class PerfProbeMainTest {
  private static PerfSummary run(String mode, String variant, String writePercent) throws InterruptedException {
    PerfProbeMain probe = new PerfProbeMain();
    new CommandLine(probe).parseArgs("--dirty-log", mode, "--vcpus", "2", "--vcpu-memory", "4m", "--iterations", "2",
        "--write-percent", writePercent, "--device-write-rate", "200", "--variant", variant);
    return probe.measure(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
  }

  @ParameterizedTest
  @ValueSource(strings = {"sw", "hw", "ring", "hdbss", "combined"})
  void everyModeLosesNothingWithADeviceWriting(String mode) throws InterruptedException {
    PerfSummary s = run(mode, "correct", "100");
    assertThat(s.lostPages()).as("%s: lost pages", mode).isZero();
    assertThat(s.deviceWrites()).as("the device wrote").isPositive();
    assertThat(s.harvestedPagesMean()).as("every page written per iteration is reported").isGreaterThanOrEqualTo(2048);
    assertThat(s.clearLogMillisMean() != null).isEqualTo(mode.equals("sw") || mode.equals("hw"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"hw", "ring", "hdbss"})
  void theLogThatForgetsTheDeviceBitmapIsCaught(String mode) throws InterruptedException {
    long lost = 0;
    for (int attempt = 0; attempt < 5 && lost == 0; attempt++) lost = run(mode, "forgets-device-bitmap", "50").lostPages();
    assertThat(lost).as("%s without the device bitmap: lost pages", mode).isPositive();
  }
}
