package io.dbmmigrate.machine;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.MappedByteBuffer;

/**
 * Unmaps a {@link MappedByteBuffer} now instead of when it is collected: JDK 17 has no public
 * unmap, so this calls {@code sun.misc.Unsafe.invokeCleaner} (module jdk.unsupported, on JDK 17
 * and 25) as Netty and Lucene do. When that method is unavailable the buffer is left to the
 * collector (its cleaner unmaps it then). The caller guarantees that nobody accesses the buffer
 * (or a view of it) afterwards: an access after unmap is a crash, not an exception.
 */
final class Unmapper {
  private Unmapper() {}

  private static final Object UNSAFE;
  private static final Method INVOKE_CLEANER;

  static {
    Object u = null;
    Method m = null;
    try {
      Class<?> c = Class.forName("sun.misc.Unsafe");
      Field f = c.getDeclaredField("theUnsafe");
      f.setAccessible(true);
      u = f.get(null);
      m = c.getMethod("invokeCleaner", java.nio.ByteBuffer.class);
    } catch (ReflectiveOperationException | RuntimeException e) {
      u = null;
      m = null;
    }
    UNSAFE = u;
    INVOKE_CLEANER = m;
  }

  /** True when buffers are unmapped at once (false: when collected). */
  static boolean immediate() {
    return INVOKE_CLEANER != null;
  }

  static void unmap(MappedByteBuffer b) {
    if (INVOKE_CLEANER == null) return;
    try {
      INVOKE_CLEANER.invoke(UNSAFE, b);
    } catch (ReflectiveOperationException e) {
      // left to the collector
    }
  }
}
