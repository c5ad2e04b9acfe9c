package io.dbmmigrate.net;

/**
 * Process-wide Netty settings the node processes apply at their entry point, before any Netty
 * class is loaded (Netty reads them once, in static initializers).
 *
 * <p>{@code tryReflectionSetAccessible}: lets Netty's pooled allocator create its direct memory
 * chunks without zeroing them ({@code DirectByteBuffer}'s private constructor; the jars' manifests
 * open {@code java.base/java.nio} for it). Without it, every chunk the pool creates is zeroed by
 * {@code ByteBuffer.allocateDirect}; the receiving node's pool creates and destroys chunks as page
 * batches are held and released, and a profile of a 1 GiB migration on this project's 2-core test
 * machine showed the zeroing (and the first-touch faults it takes) at about 12 % of the
 * destination's CPU. Where the module is not opened (a plain class path launch), Netty falls back
 * to zeroed chunks: slower, same behaviour.
 *
 * <p>{@code leakDetection.level=disabled}: Netty's default leak detector ({@code simple}) tracks
 * one buffer in 128 and records a stack trace (a {@code Throwable}) when it tracks one and again
 * when that buffer is released. With 1 MiB page batches that is thousands of stack traces per
 * round on each node (JFR, {@code jdk.JavaExceptionThrow}, one 4 GiB round 0 with its warm-up:
 * 3,800 on the source, 4,400 on the destination), CPU the figures would charge to the migration.
 * A debugging run asks for the detector on the command line ({@code
 * -Dio.grpc.netty.shaded.io.netty.leakDetection.level=paranoid}).
 *
 * <p>{@code allocator.cacheTrimInterval=2147483647}: each thread's cache of pooled buffers sweeps
 * itself every 8192 allocations by default ({@code PoolThreadCache.allocate}). A warm-up that
 * had not made that many on an event loop left the sweep a branch its compiled code had never
 * taken, and round 0 took it: JFR on the destination showed {@code unstable_if} in {@code
 * PoolThreadCache.allocate} in round 0's first 0.3 s of every two-stream run, then 0.3 to 0.6 s of
 * C2 recompiling the allocator's path inside the round. Without the count-based sweep a thread's
 * cache keeps what it holds (Netty bounds it: a few MiB per thread, a node has a handful of event
 * loops); the time-based sweep ({@code allocator.cacheTrimIntervalMillis}) stays off, as by
 * default.
 *
 * <p>A value set on the command line wins over each default.
 */
public final class NettyDefaults {
  /** grpc-netty-shaded relocates Netty's property names along with its packages. */
  static final String REFLECTION_PROPERTY = "io.grpc.netty.shaded.io.netty.tryReflectionSetAccessible";

  static final String LEAK_DETECTION_PROPERTY = "io.grpc.netty.shaded.io.netty.leakDetection.level";

  static final String CACHE_TRIM_PROPERTY = "io.grpc.netty.shaded.io.netty.allocator.cacheTrimInterval";

  private NettyDefaults() {}

  /** Sets the defaults that were not set on the command line; call first thing in main. */
  public static void apply() {
    if (System.getProperty(REFLECTION_PROPERTY) == null) System.setProperty(REFLECTION_PROPERTY, "true");
    if (System.getProperty(LEAK_DETECTION_PROPERTY) == null) System.setProperty(LEAK_DETECTION_PROPERTY, "disabled");
    if (System.getProperty(CACHE_TRIM_PROPERTY) == null)
      System.setProperty(CACHE_TRIM_PROPERTY, String.valueOf(Integer.MAX_VALUE));
  }
}
