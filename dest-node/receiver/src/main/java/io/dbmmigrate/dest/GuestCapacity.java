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
   * Guest pages in mapped, sparse files (ChunkedGuestMemory): the pages themselves cost host memory
   * only when written, so what bounds the declared size is the heap that holds the guest's
   * metadata — a leaf PTE per 4 KiB page (8 bytes), the dirty, written and harvest bitmaps, upper
   * page-table levels: at most {@value #METADATA_BYTES_PER_GUEST_PAGE} bytes per page, that is
   * guest bytes / {@code 4096 / METADATA_BYTES_PER_GUEST_PAGE} — from the heap left after the
   * inbound-buffer budget and a headroom for gRPC and the rest.
   */
  static GuestCapacity mappedGuest(long inboundBudgetBytes) {
    long headroom = 64L << 20;
    return () -> {
      long heapForMetadata = Math.max(0, Runtime.getRuntime().maxMemory() - inboundBudgetBytes - headroom);
      return heapForMetadata / METADATA_BYTES_PER_GUEST_PAGE * 4096;
    };
  }

  /** Heap metadata per guest page, an upper bound (8-byte PTE + bitmaps + upper levels, rounded up). */
  int METADATA_BYTES_PER_GUEST_PAGE = 16;

  /**
   * Guest pages on the Java heap: the maximum heap minus the inbound-buffer budget minus a
   * headroom for everything else (page tables, bitmaps, gRPC). Kept for tests of the admission
   * rule with a small, known capacity.
   */
  static GuestCapacity javaHeap(long inboundBudgetBytes) {
    long headroom = 64L << 20;
    return () -> Math.max(0, Runtime.getRuntime().maxMemory() - inboundBudgetBytes - headroom);
  }
}
