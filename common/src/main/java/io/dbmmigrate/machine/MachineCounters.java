package io.dbmmigrate.machine;

/**
 * A snapshot of the simulated hardware's event counters.
 *
 * @param translationFaults stage-2 translation faults (page mapped on demand)
 * @param permissionFaults write-permission faults (software dirty logging)
 * @param hardwareDirtySets read-only → writable transitions done by "hardware" DBM
 * @param tlbInvalidations TLB invalidations issued
 * @param kicks vCPU kicks (VTCR reload)
 */
public record MachineCounters(
    long translationFaults,
    long permissionFaults,
    long hardwareDirtySets,
    long tlbInvalidations,
    long kicks) {}
