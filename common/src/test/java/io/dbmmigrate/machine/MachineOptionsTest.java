package io.dbmmigrate.machine;

import io.dbmmigrate.memory.BackingPageSize;

import io.dbmmigrate.dirty.SplitPolicy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

class MachineOptionsTest {
  @Command(name = "vm")
  static final class Cmd implements Callable<Integer> {
    @Mixin MachineOptions machine;
    VmSpec spec;

    @Override
    public Integer call() {
      spec = machine.toVmSpec();
      return 0;
    }
  }

  record Run(int exit, String err, VmSpec spec) {}

  static Run run(String... args) {
    Cmd cmd = new Cmd();
    StringWriter err = new StringWriter();
    int exit = new CommandLine(cmd).setErr(new PrintWriter(err)).execute(args);
    return new Run(exit, err.toString(), cmd.spec);
  }

  @Test
  void defaults() {
    Run r = run();
    assertThat(r.exit()).isZero();
    VmSpec s = r.spec();
    assertThat(s.ramBytes()).isEqualTo(1L << 30);
    assertThat(s.romBytes()).isEqualTo(2L << 20);
    assertThat(s.vcpuCount()).isEqualTo(2);
    assertThat(s.backing()).isEqualTo(BackingPageSize.SIZE_4K);
    assertThat(s.workload()).isEqualTo("random:rate=50");
    assertThat(s.seed()).isEqualTo(1);
    assertThat(s.tuning()).isEqualTo(MachineTuning.defaults());
  }

  @Test
  void everyOptionReachesTheSpec() {
    Run r = run("--ram", "512m", "--rom", "64k", "--vcpus", "4", "--backing", "2m", "--workload",
        "hotset:hot=20", "--dirty-rate", "12.5", "--seed", "9", "--fault-cost-ns", "100",
        "--tlbi-cost-ns", "200", "--kick-cost-ns", "300", "--split", "lazy", "--aging-rate", "10",
        "--remap-rate", "20", "--split-rate", "30", "--no-hw-access-flag");
    assertThat(r.exit()).as(r.err()).isZero();
    VmSpec s = r.spec();
    assertThat(s.ramBytes()).isEqualTo(512L << 20);
    assertThat(s.romBytes()).isEqualTo(64 << 10);
    assertThat(s.vcpuCount()).isEqualTo(4);
    assertThat(s.backing()).isEqualTo(BackingPageSize.SIZE_2M);
    assertThat(s.workload()).isEqualTo("hotset:rate=12.5,hot=20,share=90");
    assertThat(s.seed()).isEqualTo(9);
    assertThat(s.tuning())
        .isEqualTo(new MachineTuning(100, 200, 300, 10, 20, 30, SplitPolicy.LAZY, false));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "--ram|3m|RAM size must be a positive multiple of 2 MiB",
    "--ram|lots|--ram: not a size: 'lots'",
    "--rom|1000|ROM size must be a multiple of 4 KiB",
    "--vcpus|0|vCPU count must be 1..512",
    "--backing|8k|backing page size must be 4k or 2m",
    "--workload|zigzag|--workload: unknown workload kind 'zigzag'",
    "--dirty-rate|-1|--dirty-rate must be >= 0",
    "--split|sometimes|split policy must be eager or lazy",
    "--aging-rate|-5|must be >= 0 per second",
    "--fault-cost-ns|-1|must be >= 0",
  })
  void badValuesAreUsageErrorsWithAClearMessage(String option, String value, String message) {
    Run r = run(option, value);
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains(message);
  }
}
