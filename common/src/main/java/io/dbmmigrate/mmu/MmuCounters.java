package io.dbmmigrate.mmu;

/**
 * A snapshot of the MMU's event counters (racy sums of LongAdders: monotonic, approximate while
 * vCPUs run).
 *
 * @param translationFaults stage-2 translation faults (page mapped on demand)
 * @param permissionFaults write-permission faults (software dirty logging)
 * @param accessFaults access-flag faults (without VTCR.HA)
 * @param hardwareDirtySets read-only → writable transitions done by "hardware" DBM
 * @param tlbInvalidations TLB invalidations issued
 * @param kicks vCPU kicks (VTCR reload)
 * @param blockSplits 2 MiB blocks split into pages
 * @param droppedStores stores to ROM or to no slot (an MMIO exit on KVM)
 */
public record MmuCounters(
    long translationFaults,
    long permissionFaults,
    long accessFaults,
    long hardwareDirtySets,
    long tlbInvalidations,
    long kicks,
    long blockSplits,
    long droppedStores) {}
