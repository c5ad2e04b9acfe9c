package io.dbmmigrate.testing;

import org.junit.jupiter.api.Assumptions;

/**
 * The only allowed reason to skip a test: the machine lacks a capability the test needs (root,
 * network namespaces, an OS tool). Anything else that is missing — a class, a script of this
 * repository, a built jar — is a failure, not a skip. {@code .ci/run} fails a CI run (CI=true) whose
 * reports hold a skip without the {@link #PREFIX} reason.
 */
public final class Capabilities {
  /** Start of every allowed skip reason. */
  public static final String PREFIX = "missing capability: ";

  private Capabilities() {}

  /** Skips the test, stating which capability is missing, unless {@code present}. */
  public static void assume(boolean present, String capability) {
    Assumptions.assumeTrue(present, PREFIX + capability);
  }
}
