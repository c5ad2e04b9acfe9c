package io.dbmmigrate.memory;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Maps file regions and unmaps them now instead of when the collector gets to them. Two ways, by
 * JDK:
 *
 * <ul>
 *   <li>JDK 22+ (final {@code java.lang.foreign}): each region is mapped into its own shared {@code
 *       Arena}; {@link #unmap} closes the arena. A later access through the region's buffer fails
 *       with {@code IllegalStateException} instead of touching unmapped memory.
 *   <li>JDK 17–21: {@code FileChannel.map}; {@link #unmap} calls {@code
 *       sun.misc.Unsafe.invokeCleaner} (module jdk.unsupported), as Netty and Lucene do; an access
 *       after that would crash the JVM, so the owner must guarantee nobody touches the buffer. When
 *       neither is available the buffer is left to the collector (its cleaner unmaps it then).
 * </ul>
 *
 * Reached through reflection so the code compiles for Java 17. Stateless apart from the method
 * handles looked up once.
 */
final class Unmapper {
  private Unmapper() {}

  private static final Object UNSAFE;
  private static final Method INVOKE_CLEANER;
  private static final Method OF_SHARED;
  private static final Method MAP_IN_ARENA;
  private static final Method AS_BYTE_BUFFER;
  private static final Method ARENA_CLOSE;

  static {
    Method ofShared = null, mapInArena = null, asByteBuffer = null, arenaClose = null;
    if (Runtime.version().feature() >= 22) {
      try {
        Class<?> arena = Class.forName("java.lang.foreign.Arena");
        Class<?> segment = Class.forName("java.lang.foreign.MemorySegment");
        ofShared = arena.getMethod("ofShared");
        mapInArena = FileChannel.class.getMethod("map", FileChannel.MapMode.class, long.class, long.class, arena);
        asByteBuffer = segment.getMethod("asByteBuffer");
        arenaClose = arena.getMethod("close");
      } catch (ReflectiveOperationException e) {
        ofShared = null;
      }
    }
    OF_SHARED = ofShared;
    MAP_IN_ARENA = mapInArena;
    AS_BYTE_BUFFER = asByteBuffer;
    ARENA_CLOSE = arenaClose;
    Object u = null;
    Method m = null;
    if (OF_SHARED == null) {
      try {
        Class<?> c = Class.forName("sun.misc.Unsafe");
        Field f = c.getDeclaredField("theUnsafe");
        f.setAccessible(true);
        u = f.get(null);
        m = c.getMethod("invokeCleaner", ByteBuffer.class);
      } catch (ReflectiveOperationException | RuntimeException e) {
        u = null;
        m = null;
      }
    }
    UNSAFE = u;
    INVOKE_CLEANER = m;
  }

  /** A mapped region and what unmaps it (an Arena on JDK 22+, else the buffer itself). */
  record Region(ByteBuffer buffer, Object owner) {}

  /** Maps {@code [offset, offset + length)} of ch read-write. */
  static Region map(FileChannel ch, long offset, long length) throws IOException {
    if (OF_SHARED == null) {
      ByteBuffer b = ch.map(FileChannel.MapMode.READ_WRITE, offset, length);
      return new Region(b, b);
    }
    try {
      Object arena = OF_SHARED.invoke(null);
      Object segment = MAP_IN_ARENA.invoke(ch, FileChannel.MapMode.READ_WRITE, offset, length, arena);
      return new Region((ByteBuffer) AS_BYTE_BUFFER.invoke(segment), arena);
    } catch (InvocationTargetException e) {
      if (e.getCause() instanceof IOException io) throw io;
      throw new IllegalStateException("mapping guest memory failed", e.getCause());
    } catch (IllegalAccessException e) {
      throw new IllegalStateException("mapping guest memory failed", e);
    }
  }

  /** Unmaps the region now where the JDK allows it (see the class doc). */
  static void unmap(Region r) {
    try {
      if (ARENA_CLOSE != null) ARENA_CLOSE.invoke(r.owner());
      else if (INVOKE_CLEANER != null) INVOKE_CLEANER.invoke(UNSAFE, r.buffer());
    } catch (ReflectiveOperationException e) {
      // left to the collector
    }
  }
}
