package io.dbmmigrate.machine;

import io.dbmmigrate.memory.BackingPageSize;

import io.dbmmigrate.memory.GuestMemory;

import io.dbmmigrate.dirty.DirtyLog;
import io.dbmmigrate.snapshot.WriteProtectSnapshot;
import java.util.List;

/**
 * A simulated VM: guest memory behind a stage-2 MMU, vCPU threads running workloads, and the dirty
 * log. The migration engine sees only this interface, {@link GuestMemory} and {@link DirtyLog}.
 *
 * <p>Lifecycle: created paused (no vCPU thread runs) → {@link #start()} or {@link #resume()} →
 * {@link #pause()} → ... → {@link #close()}. {@link #pause()} returns only when no vCPU runs and no
 * guest store is in flight.
 */
public interface VirtualMachine extends AutoCloseable {
  GuestMemory memory();

  DirtyLog dirtyLog();

  int vcpuCount();

  /** Backing page size of guest RAM. */
  BackingPageSize backing();

  /** Starts (or resumes) the vCPU threads. */
  void resume();

  /** Stops all vCPUs; returns when none runs and every store is visible. Idempotent. */
  void pause();

  boolean isRunning();

  /** The vCPU states; the VM must be paused. */
  List<VcpuSnapshot> captureVcpuStates();

  /** Replaces the vCPU states (workload kind, progress); the VM must be paused. */
  void restoreVcpuStates(List<VcpuSnapshot> states);

  /** Guest stores retired so far by all vCPUs (monotonic while the VM lives). */
  long storesRetired();

  /** Bytes written by the guest so far (monotonic). */
  long bytesWritten();

  /** Auto-converge throttle: each vCPU sleeps this share of its time, 0..99 percent. */
  void setThrottlePercent(int percent);

  /** Counters of the simulated hardware (faults, TLB invalidations, kicks). */
  MachineCounters counters();

  /**
   * Takes a write-protect snapshot of guest memory (the VM may run meanwhile); the caller reads it
   * and closes it. Refused (IllegalStateException) while the dirty log or another snapshot holds
   * the MMU's write-protect faults.
   */
  default WriteProtectSnapshot beginSnapshot() {
    throw new UnsupportedOperationException("this VM cannot take a write-protect snapshot");
  }

  /**
   * Post-copy: makes every guest write access first ask {@code hook} whether its page is missing,
   * and wait for it if so (null: no check). Unsupported by VMs without a stage-2 MMU.
   */
  default void setMissingPageHook(io.dbmmigrate.mmu.MissingPageHook hook) {
    throw new UnsupportedOperationException("this VM has no missing-page support");
  }

  /** Stops the vCPUs for good and releases memory. */
  @Override
  void close();
}
