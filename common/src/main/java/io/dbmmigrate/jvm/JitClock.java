package io.dbmmigrate.jvm;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;

/**
 * The JIT compilers' accumulated time in this JVM ({@link CompilationMXBean}), read at the
 * migration's phase boundaries. Compilation is not a pause like a collection: it runs on compiler
 * threads beside the migration, but on a machine with few cores it takes their CPU (a profile of
 * round 0 of a 1 GiB migration on this project's 2-core machine showed the C1 and C2 compiler
 * threads with more samples than the page path), so the report states it beside the rounds and
 * the downtime. Stateless; any thread.
 */
public final class JitClock {
  private JitClock() {}

  /** Milliseconds the JIT compilers have spent so far, or -1 when the JVM does not say. */
  public static long compileMillis() {
    CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    if (jit == null || !jit.isCompilationTimeMonitoringSupported()) return -1;
    return jit.getTotalCompilationTime();
  }
}
