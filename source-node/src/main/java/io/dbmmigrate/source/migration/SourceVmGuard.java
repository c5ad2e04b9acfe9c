package io.dbmmigrate.source.migration;

import io.dbmmigrate.dirty.DirtyLogMode;
import io.dbmmigrate.dirty.DirtyLogOptions;
import io.dbmmigrate.machine.VirtualMachine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything a migration changes on the source's VM, and the one place that undoes it. A migration
 * enables dirty logging, may throttle the vCPUs and pauses them for the final round; it ends in
 * exactly one of three ways, and the first call to any of them settles the VM (later calls return
 * false and do nothing):
 *
 * <ul>
 *   <li>{@link #giveBack}: the VM stays on the source: dirty logging off, throttle 0, resumed if
 *       this migration paused it.
 *   <li>{@link #handOver}: the destination runs the VM: dirty logging off, the VM stays paused
 *       here (resuming it would run it twice).
 *   <li>{@link #keepPaused}: nobody knows whether the destination runs it: dirty logging off, the
 *       VM stays paused until an operator decides.
 * </ul>
 *
 * Each undo step runs even when an earlier one threw (the failure is logged). Single-threaded:
 * the controller's thread calls every method.
 */
public final class SourceVmGuard {
  private static final Logger log = LoggerFactory.getLogger(SourceVmGuard.class);

  /** How the guard settled the VM. */
  public enum Settlement {
    NONE,
    GIVEN_BACK,
    HANDED_OVER,
    KEPT_PAUSED
  }

  private final String migrationId;
  private final VirtualMachine vm;
  private boolean loggingEnabled;
  private boolean pausedByUs;
  private int throttlePercent;
  private Settlement settlement = Settlement.NONE;

  public SourceVmGuard(String migrationId, VirtualMachine vm) {
    this.migrationId = migrationId;
    this.vm = vm;
  }

  /** Starts the guest if it is not running (the migration needs a running guest to measure). */
  public void ensureRunning() {
    requireUnsettled();
    if (!vm.isRunning()) vm.resume();
  }

  public void enableDirtyLog(DirtyLogMode mode, DirtyLogOptions options) {
    requireUnsettled();
    loggingEnabled = true; // before the call: a half-done enable is undone too
    vm.dirtyLog().enable(mode, options);
  }

  public void setThrottlePercent(int percent) {
    requireUnsettled();
    throttlePercent = percent;
    vm.setThrottlePercent(percent);
  }

  public int throttlePercent() {
    return throttlePercent;
  }

  /** Pauses the vCPUs for the final round (remembered: only a VM paused here is resumed here). */
  public void pause() {
    requireUnsettled();
    pausedByUs = true;
    vm.pause();
  }

  public Settlement settlement() {
    return settlement;
  }

  /** The VM stays on the source and runs again. False when already settled. */
  public boolean giveBack() {
    if (!settle(Settlement.GIVEN_BACK)) return false;
    disableLogging();
    if (throttlePercent != 0) safely("reset the throttle", () -> vm.setThrottlePercent(0));
    throttlePercent = 0;
    if (pausedByUs) safely("resume the VM", vm::resume);
    pausedByUs = false;
    return true;
  }

  /** The destination runs the VM: logging off, the VM stays paused here. False when already settled. */
  public boolean handOver() {
    if (!settle(Settlement.HANDED_OVER)) return false;
    disableLogging();
    return true;
  }

  /** Outcome unknown: logging off, the VM stays paused. False when already settled. */
  public boolean keepPaused() {
    if (!settle(Settlement.KEPT_PAUSED)) return false;
    disableLogging();
    return true;
  }

  private boolean settle(Settlement s) {
    if (settlement != Settlement.NONE) return false;
    settlement = s;
    return true;
  }

  private void disableLogging() {
    if (loggingEnabled) safely("disable dirty logging", () -> vm.dirtyLog().disable());
    loggingEnabled = false;
  }

  private void requireUnsettled() {
    if (settlement != Settlement.NONE)
      throw new IllegalStateException("the source VM was already settled: " + settlement);
  }

  private void safely(String what, Runnable r) {
    try {
      r.run();
    } catch (RuntimeException e) {
      log.warn("{}: could not {}: {}", migrationId, what, e.toString());
    }
  }
}
