package io.dbmmigrate.dest;

import io.dbmmigrate.memory.ChunkedGuestMemory;
import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.memory.MemorySlotSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Guest memory backed and mapped before any migration ({@code dest-node --prealloc-ram}), as a
 * QEMU started with {@code -incoming} and a {@code prealloc=on} memory backend has its RAM before
 * it listens: the host's cost of backing fresh pages, and this process's cost of faulting each page
 * into its page tables, are paid at node start, not inside the rounds they would otherwise dominate
 * (see {@link io.dbmmigrate.memory.BackingFile} and {@link ChunkedGuestMemory#preallocated}). It
 * serves the first incoming VM whose memory layout is the one it was made for; any other VM, and
 * every later one, gets sparse memory as without the option.
 *
 * <p>Threading: {@link #takeFor} hands the memory out at most once (an atomic swap); {@link #close}
 * releases it if nobody took it.
 */
public final class PreallocatedRam implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PreallocatedRam.class);

  private final List<MemorySlotSpec> slots;
  private final AtomicReference<ChunkedGuestMemory> memory;

  private PreallocatedRam(List<MemorySlotSpec> slots, ChunkedGuestMemory memory) {
    this.slots = slots;
    this.memory = new AtomicReference<>(memory);
  }

  /** Nothing preallocated: every VM gets sparse memory. */
  public static PreallocatedRam none() {
    return new PreallocatedRam(List.of(), null);
  }

  /**
   * Backs and maps a memory of these slots now, with {@code threads} threads.
   *
   * @throws io.dbmmigrate.memory.GuestMemoryExhaustedException when dir cannot hold it
   */
  public static PreallocatedRam allocate(List<MemorySlotSpec> slots, Path dir, int threads) {
    long t0 = System.nanoTime();
    ChunkedGuestMemory mem = ChunkedGuestMemory.preallocated(slots, dir, threads);
    long bytes = mem.totalPages() * GuestMemory.PAGE_SIZE;
    double secs = (System.nanoTime() - t0) / 1e9;
    log.info(
        "preallocated and mapped {} MiB of guest memory in {} in {} ms ({} MB/s, {} threads)",
        bytes >> 20, dir, Math.round(secs * 1000), Math.round(bytes / secs / 1e6), threads);
    return new PreallocatedRam(List.copyOf(slots), mem);
  }

  /**
   * The preallocated memory for a VM with these slots, now owned by the caller; null when there is
   * none left or the layout differs (the caller then creates sparse memory).
   */
  public ChunkedGuestMemory takeFor(List<MemorySlotSpec> incoming) {
    if (memory.get() == null) return null;
    if (!slots.equals(incoming)) {
      log.info("the preallocated memory was made for {}, the incoming VM has {}: using sparse memory", slots, incoming);
      return null;
    }
    return memory.getAndSet(null);
  }

  /** Whether a memory is still waiting for its VM. */
  public boolean available() {
    return memory.get() != null;
  }

  @Override
  public void close() {
    ChunkedGuestMemory mem = memory.getAndSet(null);
    if (mem != null) mem.close();
  }
}
