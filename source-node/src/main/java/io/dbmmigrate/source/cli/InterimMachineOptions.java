package io.dbmmigrate.source.cli;

import io.dbmmigrate.machine.BackingPageSize;
import io.dbmmigrate.machine.MachineTuning;
import io.dbmmigrate.machine.VmSpec;
import io.dbmmigrate.util.ByteSize;
import picocli.CommandLine.Option;

/** Machine options until common's MachineOptions mixin lands (then this class goes). */
public final class InterimMachineOptions {
  @Option(names = "--ram", converter = ByteSize.class, description = "Guest RAM. Default: 1g.")
  long ramBytes = 1L << 30;

  @Option(names = "--rom", converter = ByteSize.class, description = "Read-only slot size. Default: 1m.")
  long romBytes = 1L << 20;

  @Option(names = "--vcpus", description = "vCPUs. Default: ${DEFAULT-VALUE}.")
  int vcpus = 2;

  @Option(names = "--backing", description = "Backing page size, 4k or 2m. Default: 4k.")
  String backing = "4k";

  @Option(names = "--workload", description = "Workload spec. Default: ${DEFAULT-VALUE}.")
  String workload = "random";

  @Option(names = "--seed", description = "Seed. Default: ${DEFAULT-VALUE}.")
  long seed = 1;

  public VmSpec toSpec() {
    return new VmSpec(
        ramBytes, romBytes, vcpus, BackingPageSize.parse(backing), workload, seed, MachineTuning.defaults());
  }
}
