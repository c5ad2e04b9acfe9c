package io.dbmmigrate.machine;

import java.util.Optional;

/**
 * The one VM a node hosts, and what the node is doing with it. Shared by a node's target service
 * (receiving a VM) and its control service (migrating it out), so one process can receive a VM and
 * later send it onward.
 *
 * <pre>
 *            beginReceive            completeReceive(vm)
 *   EMPTY ───────────────▶ RECEIVING ───────────────────▶ HOSTING ◀── host(vm)
 *     ▲                       │ abortReceive                │  ▲
 *     └───────────────────────┘          beginMigrateOut    ▼  │ migrateOutFailed
 *     ▲                                               MIGRATING_OUT
 *     └──────────────── migrateOutCompleted (VM closed) ──────┘
 * </pre>
 *
 * <p>A hosted VM is never destroyed by an incoming migration unless the node was started with
 * {@link ReplacePolicy#ACCEPT_REPLACE}: by default {@link #beginReceive} refuses while the node
 * hosts a VM and names it, so a stray or hostile BeginSession cannot discard a running guest.
 *
 * <p>Concurrency: every transition is a synchronized method; at most one receive or one
 * migrate-out runs at a time, which is what makes "nothing resumed twice" hold per node.
 */
public final class VmHost implements AutoCloseable {
  /** What the node is doing. */
  public enum State {
    EMPTY,
    RECEIVING,
    HOSTING,
    MIGRATING_OUT
  }

  /** What an incoming migration may do to a VM this node already hosts. */
  public enum ReplacePolicy {
    /** Refuse the incoming migration; the hosted VM keeps running (the default everywhere). */
    REFUSE,
    /** Close the hosted VM and receive the new one (a node started with --accept-replace). */
    ACCEPT_REPLACE
  }

  private final ReplacePolicy replacePolicy;
  private State state = State.EMPTY;
  private VirtualMachine vm;
  /** Who the hosted VM is, for refusals and logs; null while no VM is hosted. */
  private String vmLabel;

  public VmHost(ReplacePolicy replacePolicy) {
    this.replacePolicy = replacePolicy;
  }

  /** A host that refuses to replace a VM it hosts. */
  public VmHost() {
    this(ReplacePolicy.REFUSE);
  }

  public ReplacePolicy replacePolicy() {
    return replacePolicy;
  }

  /** A short description of the hosted VM (its origin and shape), or empty. */
  public synchronized Optional<String> vmLabel() {
    return Optional.ofNullable(vmLabel);
  }

  public synchronized State state() {
    return state;
  }

  public synchronized Optional<VirtualMachine> current() {
    return Optional.ofNullable(vm);
  }

  /** Installs a freshly created VM (the node's own). */
  public synchronized void host(VirtualMachine machine) {
    host(machine, "the VM created on this node");
  }

  /**
   * Installs a freshly created VM.
   *
   * @param label who it is, as a refusal will name it (for example "VM of migration m-1")
   */
  public synchronized void host(VirtualMachine machine, String label) {
    if (state != State.EMPTY) throw new IllegalStateException("node already " + state);
    vm = machine;
    vmLabel = label;
    state = State.HOSTING;
  }

  /**
   * Reserves the node for an incoming VM.
   *
   * @return null when accepted, otherwise why not
   */
  public synchronized String beginReceive() {
    switch (state) {
      case EMPTY:
        break;
      case HOSTING:
        if (replacePolicy == ReplacePolicy.REFUSE)
          return "this node hosts "
              + vmLabel
              + (vm.isRunning() ? " (running)" : " (paused)")
              + "; migrate it away before receiving another, or start the node with --accept-replace";
        vm.close();
        vm = null;
        vmLabel = null;
        break;
      case RECEIVING:
        return "a migration into this node is already in progress";
      case MIGRATING_OUT:
        return "this node is migrating its VM out";
    }
    state = State.RECEIVING;
    return null;
  }

  /** The incoming VM is verified and resumed: the node now hosts it. */
  public synchronized void completeReceive(VirtualMachine machine, String label) {
    if (state != State.RECEIVING) throw new IllegalStateException("not receiving: " + state);
    vm = machine;
    vmLabel = label;
    state = State.HOSTING;
  }

  /** The incoming migration failed; the partial VM (closed by the caller) is discarded. */
  public synchronized void abortReceive() {
    if (state == State.RECEIVING) state = State.EMPTY;
  }

  /** Takes the hosted VM for migrating out; it stays hosted until the outcome is known. */
  public synchronized VirtualMachine beginMigrateOut() {
    if (state != State.HOSTING)
      throw new IllegalStateException(
          state == State.EMPTY ? "this node hosts no VM" : "this node is busy: " + state);
    state = State.MIGRATING_OUT;
    return vm;
  }

  /** Migrating out failed or was cancelled: the VM keeps running here. */
  public synchronized void migrateOutFailed() {
    if (state == State.MIGRATING_OUT) state = State.HOSTING;
  }

  /** The VM runs on the destination now: close it here. */
  public synchronized void migrateOutCompleted() {
    if (state != State.MIGRATING_OUT) throw new IllegalStateException("not migrating: " + state);
    vm.close();
    vm = null;
    vmLabel = null;
    state = State.EMPTY;
  }

  @Override
  public synchronized void close() {
    if (vm != null) vm.close();
    vm = null;
    vmLabel = null;
    state = State.EMPTY;
  }
}
