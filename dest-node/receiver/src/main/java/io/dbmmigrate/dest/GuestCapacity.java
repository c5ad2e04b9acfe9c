package io.dbmmigrate.dest;

/**
 * How much memory this node can give to the pages of an incoming guest: the "can hold" of
 * BeginSession. A layout larger than this is refused with RESOURCE_EXHAUSTED before anything is
 * allocated. Injected, because where guest pages live decides it: on the Java heap it is the heap
 * left after the inbound buffers; with guest memory in mapped files it is host memory, not heap.
 */
@FunctionalInterface
public interface GuestCapacity {
  /** Bytes of guest memory (all slots) this node can hold now. */
  long guestBytesAvailable();

  static GuestCapacity fixed(long bytes) {
    return () -> bytes;
  }

  /**
   * Guest pages on the Java heap: the maximum heap minus the inbound-buffer budget minus a
   * headroom for everything else (page tables, bitmaps, gRPC).
   */
  static GuestCapacity javaHeap(long inboundBudgetBytes) {
    long headroom = 64L << 20;
    return () -> Math.max(0, Runtime.getRuntime().maxMemory() - inboundBudgetBytes - headroom);
  }
}
