package io.dbmmigrate.machine;

import io.dbmmigrate.memory.BackingPageSize;

import io.dbmmigrate.dirty.SplitPolicy;

import io.dbmmigrate.util.ByteSize;
import io.dbmmigrate.vcpu.WorkloadSpec;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The simulated machine's command-line options, a picocli {@code @Mixin}: {@code --ram, --rom,
 * --vcpus, --backing, --workload, --dirty-rate, --seed}, the cost model {@code --fault-cost-ns,
 * --tlbi-cost-ns, --kick-cost-ns}, {@code --split} and the host-MM event rates {@code --aging-rate,
 * --remap-rate, --split-rate}. {@link #toVmSpec()} validates and reports bad values as a picocli
 * {@link ParameterException} (usage error, exit code 2).
 */
public final class MachineOptions {
  @Spec(Spec.Target.MIXEE)
  CommandSpec mixee;

  @Option(names = "--ram", paramLabel = "SIZE", defaultValue = "1g",
      description = "Guest RAM, a multiple of 2 MiB (suffixes k, m, g, t). Default: ${DEFAULT-VALUE}.")
  String ram = "1g";

  @Option(names = "--rom", paramLabel = "SIZE", defaultValue = "2m",
      description = "Read-only slot at gpa 0, a multiple of 4 KiB, 0 = none. Default: ${DEFAULT-VALUE}.")
  String rom = "2m";

  @Option(names = "--vcpus", paramLabel = "N", defaultValue = "2",
      description = "Number of vCPUs (1..512). Default: ${DEFAULT-VALUE}.")
  int vcpus = 2;

  @Option(names = "--backing", paramLabel = "4k|2m", defaultValue = "4k",
      description = "Host page size backing guest RAM: 4k or 2m (THP). Default: ${DEFAULT-VALUE}.")
  String backing = "4k";

  @Option(names = "--workload", paramLabel = "SPEC", defaultValue = "random",
      description = "kind[:key=value,...]; kinds sequential, random, hotset, once, idle; keys rate "
          + "(MB/s per vCPU, 0 = unlimited), seed, hot and share (percent, hotset). "
          + "Default: ${DEFAULT-VALUE}.")
  String workload = "random";

  @Option(names = "--dirty-rate", paramLabel = "MB/s",
      description = "Dirty-rate limit per vCPU in MB/s (overrides the workload's rate; 0 = "
          + "unlimited). Default: the workload's, " + (long) WorkloadSpec.DEFAULT_RATE_MBPS + ".")
  Double dirtyRate;

  @Option(names = "--seed", paramLabel = "N", defaultValue = "1",
      description = "Seed of the workloads, the ROM content and host-MM events. Default: ${DEFAULT-VALUE}.")
  long seed = 1;

  @Option(names = "--fault-cost-ns", paramLabel = "NS",
      defaultValue = "" + MachineTuning.DEFAULT_FAULT_COST_NANOS,
      description = "Guest time lost per stage-2 fault. Default: ${DEFAULT-VALUE}.")
  long faultCostNs = MachineTuning.DEFAULT_FAULT_COST_NANOS;

  @Option(names = "--tlbi-cost-ns", paramLabel = "NS",
      defaultValue = "" + MachineTuning.DEFAULT_TLBI_COST_NANOS,
      description = "Time charged per TLB invalidation. Default: ${DEFAULT-VALUE}.")
  long tlbiCostNs = MachineTuning.DEFAULT_TLBI_COST_NANOS;

  @Option(names = "--kick-cost-ns", paramLabel = "NS",
      defaultValue = "" + MachineTuning.DEFAULT_KICK_COST_NANOS,
      description = "Guest time lost per vCPU kick. Default: ${DEFAULT-VALUE}.")
  long kickCostNs = MachineTuning.DEFAULT_KICK_COST_NANOS;

  @Option(names = "--split", paramLabel = "eager|lazy", defaultValue = "eager",
      description = "Split 2 MiB blocks when logging starts (eager) or on first write (lazy). "
          + "Default: ${DEFAULT-VALUE}.")
  String split = "eager";

  @Option(names = "--aging-rate", paramLabel = "PER_SEC", defaultValue = "0",
      description = "Host page-aging events per second (0 = off). Default: ${DEFAULT-VALUE}.")
  double agingRate;

  @Option(names = "--remap-rate", paramLabel = "PER_SEC", defaultValue = "0",
      description = "Host unmap+remap events per second (0 = off). Default: ${DEFAULT-VALUE}.")
  double remapRate;

  @Option(names = "--split-rate", paramLabel = "PER_SEC", defaultValue = "0",
      description = "Host block-split events per second (0 = off). Default: ${DEFAULT-VALUE}.")
  double splitRate;

  @Option(names = "--no-hw-access-flag", negatable = false,
      description = "Clear VTCR_EL2.HA: access-flag updates take faults.")
  boolean noHardwareAccessFlag;

  @Option(names = "--prefault", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "Map every RAM page in the stage-2 table before the vCPUs start, as in a VM whose"
          + " guest has touched all its memory, so that a hardware scan visits O(guest size) PTEs."
          + " --no-prefault maps pages on first touch (a scan then visits only populated tables)."
          + " Default: ${DEFAULT-VALUE}.")
  boolean prefault = true;

  @Option(names = "--device-write-rate", paramLabel = "MB/s", defaultValue = "0",
      description = "A simulated device writing guest RAM by DMA (a virtio back end), bypassing"
          + " stage 2: pages per second as MB/s, tracked in a device bitmap every dirty-log mode"
          + " merges at every sync. 0 = no device. Default: ${DEFAULT-VALUE}.")
  double deviceWriteRate;

  @Option(names = "--ring-entries", paramLabel = "N",
      defaultValue = "" + io.dbmmigrate.dirty.DirtyLogOptions.DEFAULT_RING_ENTRIES,
      description = "Dirty-log mode ring: entries per vCPU ring, a power of two >= 64 (QEMU's"
          + " dirty-ring-size; a vCPU exits when 64 are left). Default: ${DEFAULT-VALUE}.")
  int ringEntries = io.dbmmigrate.dirty.DirtyLogOptions.DEFAULT_RING_ENTRIES;

  @Option(names = "--hdbss-entries", paramLabel = "N",
      defaultValue = "" + io.dbmmigrate.dirty.DirtyLogOptions.DEFAULT_HDBSS_ENTRIES,
      description = "Dirty-log mode hdbss: entries per vCPU buffer, a power of two >= 64 (512 ="
          + " one 4 KiB page, HDBSSBR_EL2.SZ=0). Default: ${DEFAULT-VALUE}.")
  int hdbssEntries = io.dbmmigrate.dirty.DirtyLogOptions.DEFAULT_HDBSS_ENTRIES;

  @Option(names = "--dirty-limit", paramLabel = "MB/s", defaultValue = "0",
      description = "QEMU's dirty-limit: per-vCPU dirty-rate cap enforced at write-fault,"
          + " ring-full and HDBSS buffer-full exits (a vCPU that never exits, as in hw, is not"
          + " limited; use the CPU throttle there). 0 = off. Default: ${DEFAULT-VALUE}.")
  double dirtyLimit;

  /** MB/s of device (DMA) writes, 0 = none (see --device-write-rate). */
  public double deviceWriteRate() {
    if (!(deviceWriteRate >= 0) || Double.isInfinite(deviceWriteRate))
      throw bad("--device-write-rate must be >= 0 MB/s");
    return deviceWriteRate;
  }

  /** Whether RAM is mapped up front (see --prefault). */
  public boolean prefault() {
    return prefault;
  }

  /** The VmSpec these options describe; bad values become a ParameterException. */
  public VmSpec toVmSpec() {
    try {
      long ramBytes = size("--ram", ram);
      long romBytes = size("--rom", rom);
      BackingPageSize b = BackingPageSize.parse(backing);
      WorkloadSpec w;
      try {
        w = WorkloadSpec.parse(workload);
      } catch (IllegalArgumentException e) {
        throw bad("--workload: " + e.getMessage());
      }
      if (dirtyRate != null) {
        if (!(dirtyRate >= 0) || dirtyRate.isInfinite())
          throw bad("--dirty-rate must be >= 0 MB/s, not " + dirtyRate);
        w = w.withRate(dirtyRate);
      }
      if (faultCostNs < 0 || tlbiCostNs < 0 || kickCostNs < 0)
        throw bad("--fault-cost-ns, --tlbi-cost-ns and --kick-cost-ns must be >= 0");
      if (!(agingRate >= 0) || !(remapRate >= 0) || !(splitRate >= 0))
        throw bad("--aging-rate, --remap-rate and --split-rate must be >= 0 per second");
      MachineTuning t =
          new MachineTuning(
              faultCostNs, tlbiCostNs, kickCostNs, agingRate, remapRate, splitRate,
              SplitPolicy.parse(split), !noHardwareAccessFlag);
      return new VmSpec(ramBytes, romBytes, vcpus, b, w.toString(), seed, t);
    } catch (ParameterException e) {
      throw e;
    } catch (IllegalArgumentException e) {
      throw bad(e.getMessage());
    }
  }

  private long size(String option, String value) {
    try {
      return ByteSize.parse(value);
    } catch (IllegalArgumentException e) {
      throw bad(option + ": " + e.getMessage());
    }
  }

  private RuntimeException bad(String message) {
    if (mixee == null) return new IllegalArgumentException(message);
    CommandLine cl = mixee.commandLine();
    return new ParameterException(cl, message);
  }
}
