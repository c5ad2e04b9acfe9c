package io.dbmmigrate.source.migration;

import io.dbmmigrate.memory.BackingPageSize;
import io.dbmmigrate.memory.MemorySlotSpec;
import io.dbmmigrate.machine.VirtualMachine;
import java.util.List;

/** The layout the destination must allocate: slots, vCPUs, backing page size. */
public record VmShape(List<MemorySlotSpec> slots, int vcpus, BackingPageSize backing) {
  public VmShape {
    slots = List.copyOf(slots);
  }

  public static VmShape of(VirtualMachine vm) {
    return new VmShape(vm.memory().slots(), vm.vcpuCount(), vm.backing());
  }

  /** One past the highest gfn of any slot. */
  public long gfnLimit() {
    long n = 0;
    for (MemorySlotSpec s : slots) n = Math.max(n, s.endGfn());
    return n;
  }

  public long ramBytes() {
    return slots.stream().filter(s -> !s.readOnly()).mapToLong(MemorySlotSpec::sizeBytes).sum();
  }

  public long romBytes() {
    return slots.stream().filter(MemorySlotSpec::readOnly).mapToLong(MemorySlotSpec::sizeBytes).sum();
  }

  public long memoryBytes() {
    return ramBytes() + romBytes();
  }
}
