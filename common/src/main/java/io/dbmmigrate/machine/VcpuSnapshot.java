package io.dbmmigrate.machine;

/**
 * Captured state of one vCPU of a paused VM: architectural registers of the simulated guest and the
 * workload's own progress, enough to continue on another node exactly where it stopped.
 *
 * @param workloadSpec the workload in the form {@code WorkloadSpec.parse} accepts
 * @param workloadState opaque, versioned workload progress (cursor, PRNG state, generations)
 */
public record VcpuSnapshot(
    int index,
    long pc,
    long[] regs,
    String workloadSpec,
    byte[] workloadState,
    long storesRetired) {}
