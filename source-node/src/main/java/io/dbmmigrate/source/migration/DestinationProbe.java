package io.dbmmigrate.source.migration;

/**
 * The destination's state as seen by a probe, used when a commit's answer was lost: only a
 * destination that certainly does not run the VM lets the source resume it.
 */
public enum DestinationProbe {
  /** The destination runs the VM: the source must not resume it. */
  RUNNING,
  /** The destination is reachable and does not run the VM. */
  NOT_RUNNING,
  /** No answer: the outcome is unknown; the source keeps its VM paused. */
  UNREACHABLE
}
