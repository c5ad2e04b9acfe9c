package io.dbmmigrate.machine;

import io.dbmmigrate.memory.BackingPageSize;

import io.dbmmigrate.memory.MemorySlotSpec;

import io.dbmmigrate.memory.GuestMemory;

import java.util.List;

/**
 * What a simulated VM looks like: the layout (a ROM slot at gpa 0, RAM from 1 GiB, as on QEMU's
 * arm64 "virt" board), vCPUs, backing page size, the workload every vCPU runs and the tuning of the
 * simulated hardware. Both nodes derive the same slot layout from the same spec.
 *
 * @param ramBytes guest RAM, a multiple of 2 MiB
 * @param romBytes read-only slot size, a multiple of 4 KiB (0: no ROM)
 * @param workload workload spec string, as {@code WorkloadSpec.parse} accepts (e.g. "random",
 *     "hotset:hot=10,share=90", with rate and seed options); vCPU i runs it with seed + i
 * @param seed base seed of the workloads and of host-MM event generators
 */
public record VmSpec(
    long ramBytes,
    long romBytes,
    int vcpuCount,
    BackingPageSize backing,
    String workload,
    long seed,
    MachineTuning tuning) {
  /** gfn where RAM starts: gpa 1 GiB. */
  public static final long RAM_BASE_GFN = (1L << 30) >>> GuestMemory.PAGE_SHIFT;

  public static final long ROM_BASE_GFN = 0;

  public VmSpec {
    if (ramBytes <= 0 || ramBytes % (2L << 20) != 0)
      throw new IllegalArgumentException("RAM size must be a positive multiple of 2 MiB, not " + ramBytes);
    if (romBytes < 0 || romBytes % GuestMemory.PAGE_SIZE != 0 || romBytes > (1L << 30))
      throw new IllegalArgumentException("ROM size must be a multiple of 4 KiB up to 1 GiB, not " + romBytes);
    if (vcpuCount < 1 || vcpuCount > 512)
      throw new IllegalArgumentException("vCPU count must be 1..512, not " + vcpuCount);
    if (backing == null) throw new IllegalArgumentException("backing page size missing");
    if (workload == null || workload.isBlank()) throw new IllegalArgumentException("workload missing");
    if (tuning == null) throw new IllegalArgumentException("tuning missing");
  }

  /** The slot layout: ROM (id 0, read-only) when romBytes > 0, then RAM (id 1). */
  public List<MemorySlotSpec> slots() {
    MemorySlotSpec ram =
        new MemorySlotSpec(1, "ram", RAM_BASE_GFN, ramBytes >>> GuestMemory.PAGE_SHIFT, false);
    if (romBytes == 0) return List.of(ram);
    return List.of(
        new MemorySlotSpec(0, "rom", ROM_BASE_GFN, romBytes >>> GuestMemory.PAGE_SHIFT, true), ram);
  }
}
