package io.dbmmigrate.source.migration;

import io.dbmmigrate.net.RateLimiter;

/** Opens migration sessions on a destination. */
public interface TargetConnector {
  /**
   * Begins a session for a VM of the given shape.
   *
   * @param limiter bandwidth cap shared by all page streams (its rate may change at run time)
   * @throws TransferException when the destination refuses or cannot be reached
   */
  TargetSession open(VmShape shape, SessionOptions options, RateLimiter limiter)
      throws TransferException;

  /**
   * Optional: starts connecting in the background (called while the guest warms up), so that the
   * session setup measures the protocol, not class loading and TCP connect. Never throws.
   */
  default void warmUp() {}
}
