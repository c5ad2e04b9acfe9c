package io.dbmmigrate.memory;

import java.io.IOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.List;

/**
 * {@link GuestMemory} mapped the way a VMM maps guest RAM: off the Java heap, in a shared mapping of
 * a sparse file, in chunks ("regions") of 1 GiB (one mapped {@code ByteBuffer} holds at most
 * 2 GiB). A page the guest never wrote is a hole of the file: it
 * costs no resident memory and reads as zeros. The heap holds metadata only: the region buffers and
 * a bitmap with one "written" bit per page (2 MiB for a 64 GiB guest).
 *
 * <h2>Backing file and release</h2>
 *
 * One file per memory ({@link BackingFile}), in {@code dir} (default: {@code /dev/shm} when it is
 * a writable directory, else {@code java.io.tmpdir}), sized with ftruncate (sparse) or handed in
 * preallocated ({@link BackingFile#preallocated}, a destination's {@code --prealloc-ram}), mapped
 * region by region and <b>unlinked at creation</b>: no name is left behind even if the process
 * dies, and the kernel frees the pages when the last mapping goes. {@link #close()} unmaps at once ({@link
 * Unmapper}: on JDK 22+ by closing the regions' shared arenas; on JDK 17, which has no public
 * unmap, through the buffers' cleaner, {@code sun.misc.Unsafe.invokeCleaner}). The caller must
 * guarantee that nobody touches the memory from then on (on JDK 17 an access after unmap would
 * crash the JVM): the VM's close ({@code SimulatedVm.close()}) joins its
 * vCPU threads first, and the destination closes a VM only after its session ended (no batch is
 * being applied, no digest running). Without close, the mapping is freed when the buffers are
 * garbage-collected.
 *
 * <h2>How the host places and reads pages</h2>
 *
 * A page enters host memory in one of two ways, and both land in the same page of the backing
 * file (tmpfs: one page cache, so the two are coherent):
 *
 * <ul>
 *   <li><b>through the mapping</b>: guest stores ({@link #storeLong}), and host writes from heap
 *       arrays ({@link #writePage(long, byte[], int)}: prefill, tools). The first access to a
 *       page through a mapping costs a page fault in this process.
 *   <li><b>placed by the kernel</b>: {@link #writePage(long, ByteBuffer, int)} from a direct
 *       buffer (the receiver's path, straight from gRPC's network buffers) is a positional write
 *       (pwrite) to the backing file: the kernel copies the page, and this process takes no fault.
 *       This is how post-copy places pages in a real VMM (userfaultfd's UFFDIO_COPY is a kernel
 *       copy too), and on a host where faults are expensive it is what lets a receiver keep up
 *       with the network: on the 2-core nested VM this project is measured on, a first-touch fault
 *       costs 7 to 15 µs per 4 KiB page (about 300 MB/s), a pwrite about 4 GB/s. A full file
 *       system is reported as {@link GuestMemoryExhaustedException} (a store into a full tmpfs
 *       mapping would kill the process with SIGBUS instead).
 * </ul>
 *
 * A memory made by {@link #preallocated} (a destination's {@code --prealloc-ram}) has every page
 * backed and mapped before use, as a QEMU guest with preallocated RAM has: there a host write from
 * a direct buffer is a copy through the mapping (no fault to pay, and no inode lock for two page
 * streams to take turns on), and readers read in place. The choice is made per 2 MiB block
 * ({@code populatedBlocks}, fixed at construction); {@link #sampled} populates only some blocks.
 *
 * Readers follow the same split for whole chunks ({@link PageReader#run}): a 2 MiB block that was
 * only ever placed by the kernel is read with one positional read (pread) instead of 512 faults;
 * a block this process has written through the mapping is read in place. Which blocks those are
 * is a hint ({@code mappedBlocks}, set on the first write through the mapping); both ways read the
 * same bytes, so a stale hint costs time, never correctness.
 *
 * <p>Ordering of kernel-placed pages: the pwrite has copied the page when the call returns, and
 * every consumer learns of the page through the caller's own publication after that (the
 * receiver's session lock, a post-copy page's release store), as for a copy through the mapping.
 * If the calling thread is interrupted, the JDK closes the channel (an interruptible channel);
 * the page is then written through the mapping, and so are all later writes: nothing is lost.
 *
 * <h2>Page layout</h2>
 *
 * Slot s starts in the file at a region-aligned offset; page gfn of slot s lives at {@code
 * fileBase(s) + (gfn - baseGfn(s)) * 4096}: region {@code filePage >>> 18}, byte offset {@code
 * (filePage & 0x3ffff) << 12} in it. Every page is page-aligned in host memory (mappings are).
 *
 * <h2>Concurrency contract</h2>
 *
 * <table>
 *   <tr><th>state</th><th>written by</th><th>how</th><th>read by</th></tr>
 *   <tr><td>page bytes, guest</td><td>vCPU ({@link #storeLong})</td>
 *       <td>opaque 8-byte store through {@link MethodHandles#byteBufferViewVarHandle} on the direct
 *       buffer (aligned, so atomic on JDK 17 and 25)</td>
 *       <td>host: {@link #readLong} opaque; page copies plain</td></tr>
 *   <tr><td>page bytes, host</td><td>{@link #writePage}, {@link #writePages}, {@link #zeroPage}</td>
 *       <td>kernel copy (pwrite, from direct buffers) or plain bulk copy through the mapping,
 *       only while no vCPU runs</td><td>everyone</td></tr>
 *   <tr><td>written bit of a page</td><td>first writer of the page</td>
 *       <td>opaque test, then atomic OR ({@code getAndBitwiseOr}); never cleared; counted when
 *       asked ({@link #pagesAllocated})</td><td>all readers, opaque</td></tr>
 * </table>
 *
 * A guest store sets the page's written bit before it stores its bytes, both inside the MMU's
 * store window. The visibility of guest stores to the host is ordered by that window ({@code
 * TlbDomain}: release on exit, acquire by the waiting invalidator), exactly as before: a host read
 * ordered after a TLB invalidation sees the bit and the bytes. A host read that races a guest store
 * (a pre-copy page copy) may see the bit clear (page read as zeros) or a torn page; the dirty log
 * reports that page again in the next sync, so the torn copy is always resent.
 */
public final class ChunkedGuestMemory implements GuestMemory, AutoCloseable {
  /** Bytes per mapped region (1 GiB: one mapped buffer may hold at most 2 GiB - 1). */
  public static final long REGION_BYTES = 1L << 30;

  private static final int REGION_PAGES_SHIFT = 30 - PAGE_SHIFT;
  private static final long REGION_PAGE_MASK = (1L << REGION_PAGES_SHIFT) - 1;
  /** Pages per block of the mapped-block hint (2 MiB). */
  private static final int BLOCK_SHIFT = 9;
  private static final long BLOCK_PAGES = 1L << BLOCK_SHIFT;
  private static final VarHandle LONGS =
      MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle BITS = MethodHandles.arrayElementVarHandle(long[].class);

  private final List<MemorySlotSpec> slots;
  private final MemorySlotSpec[] slotArray;
  /** Per slot: its first page's index in the file (region-aligned). */
  private final long[] filePageBase;
  private final ByteBuffer[] regions;
  private final Unmapper.Region[] mappings;
  /** The unlinked backing file, open for kernel-placed writes and bulk reads until close. */
  private final FileChannel file;
  /**
   * One bit per 2 MiB block of the file: set once this process wrote a page of the block through
   * the mapping (a hint for readers, see the class doc).
   */
  private final long[] mappedBlocks;
  /** One bit per file page: set once the page was written (by guest or host). */
  private final long[] written;
  /**
   * One bit per 2 MiB block of the file: the block is backed and mapped writable in this
   * process's page tables ({@link #preallocated}, {@link #sampled}), so host writes from direct
   * buffers into it are copies through the mapping. Written by the constructor only (a final
   * field: published with the object), plain reads after.
   */
  private final long[] populatedBlocks;
  /** Every slot block is populated ({@link #preallocated}). */
  private final boolean populated;
  private final long totalPages;
  private final long gfnLimit;
  private volatile boolean closed;

  /** A memory backed by a file in {@link #defaultBackingDir()}. */
  public ChunkedGuestMemory(List<MemorySlotSpec> slots) {
    this(slots, defaultBackingDir());
  }

  /** A memory backed by a sparse, unlinked file created in dir. */
  public ChunkedGuestMemory(List<MemorySlotSpec> slots, Path dir) {
    this(slots, dir, null, List.of(), 1);
  }

  /**
   * A memory backed by the given file ({@link BackingFile}: open read-write, unlinked), which it
   * owns from now on and closes with itself. A file shorter than the layout needs is extended
   * (sparse); a longer one keeps its length. The file must read as zeros: a preallocated file
   * ({@link BackingFile#preallocated}) that nobody wrote.
   */
  public ChunkedGuestMemory(List<MemorySlotSpec> slots, FileChannel backing) {
    this(slots, null, backing, List.of(), 1);
  }

  /**
   * A memory of these slots whose every page is backed and mapped before it is returned, as a
   * QEMU memory backend with {@code prealloc=on} is: the file is preallocated ({@link
   * #preallocatedBacking}), then {@code threads} threads store a zero byte into each page through
   * the mapping (QEMU touches every page the same way, or asks for {@code MADV_POPULATE_WRITE}),
   * which leaves every page mapped writable in this process's page tables. Its content is zeros
   * and no page counts as written.
   *
   * <p>Host writes into it ({@link #writePages} from a direct buffer: the receiver's path) are
   * then plain copies through the mapping: no fault (the page is mapped), no system call, and no
   * lock shared between writers. A positional write to the file would take the file's inode lock
   * for each run, so two page streams' appliers would take turns (and spin) on it; a copy through
   * the mapping runs in parallel. Measured on this project's 2-core machine (2 GiB, 1 MiB writes
   * from a direct buffer): pwrite 5 to 6.7 GB/s on one thread and no more on two; a copy through
   * the populated mapping 15 to 20 GB/s on one thread, 25 GB/s on two; populating cost 1.2 µs a
   * page.
   *
   * @throws GuestMemoryExhaustedException when dir cannot hold the slots
   */
  public static ChunkedGuestMemory preallocated(List<MemorySlotSpec> slots, Path dir, int threads) {
    return populatedIn(slots, dir, blocks(slots, 1, Integer.MAX_VALUE), threads);
  }

  /**
   * A sparse memory of these slots in which a sample of blocks is populated as {@link
   * #preallocated} populates all: every {@code everyBlocks}-th 2 MiB block from each slot's start,
   * at most {@code blocksPerSlot} per slot. Host writes take both of {@link #writePages}' ways in
   * it: a destination's page-path warm-up writes into such a memory when the VM's memory is
   * preallocated, so that both JVMs compile the way round 0 takes (and the one the warm-up's
   * sparse blocks take) before round 0.
   */
  public static ChunkedGuestMemory sampled(List<MemorySlotSpec> slots, Path dir, int everyBlocks, int blocksPerSlot) {
    if (everyBlocks < 1 || blocksPerSlot < 0)
      throw new IllegalArgumentException("every " + everyBlocks + " blocks, " + blocksPerSlot + " per slot");
    return populatedIn(slots, dir, blocks(slots, everyBlocks, blocksPerSlot), 1);
  }

  private static ChunkedGuestMemory populatedIn(List<MemorySlotSpec> slots, Path dir, List<long[]> blocks, int threads) {
    if (threads < 1) throw new IllegalArgumentException("threads must be positive, got " + threads);
    long[] ranges = new long[2 * blocks.size()];
    for (int i = 0; i < blocks.size(); i++) {
      ranges[2 * i] = blocks.get(i)[0] << PAGE_SHIFT;
      ranges[2 * i + 1] = blocks.get(i)[1] << PAGE_SHIFT;
    }
    long fileBytes = fileLayout(slots)[slots.size()] << PAGE_SHIFT;
    FileChannel backing = BackingFile.preallocated(dir, fileBytes, ranges, threads);
    return new ChunkedGuestMemory(slots, dir, backing, blocks, threads);
  }

  /** The blocks to populate, as (first file page, pages): see {@link #sampled}. */
  private static List<long[]> blocks(List<MemorySlotSpec> slots, int everyBlocks, int blocksPerSlot) {
    final long[] bases = fileLayout(slots);
    java.util.ArrayList<long[]> out = new java.util.ArrayList<>();
    for (int i = 0; i < slots.size(); i++) {
      final long pages = slots.get(i).pageCount();
      int taken = 0;
      for (long q = 0; q < pages && taken < blocksPerSlot; q += everyBlocks * BLOCK_PAGES, taken++)
        out.add(new long[] {bases[i] + q, Math.min(BLOCK_PAGES, pages - q)});
    }
    return out;
  }

  /**
   * @param populate blocks (first file page, pages) to populate with {@code threads} threads
   *     (see {@link #preallocated}); only blocks the backing has backed: a store into a hole of a
   *     full tmpfs would kill the process
   */
  private ChunkedGuestMemory(
      List<MemorySlotSpec> slots, Path dir, FileChannel backing, List<long[]> populate, int threads) {
    this.slots = List.copyOf(slots);
    this.slotArray = this.slots.toArray(new MemorySlotSpec[0]);
    final long[] bases = fileLayout(this.slots);
    this.filePageBase = java.util.Arrays.copyOf(bases, slotArray.length);
    final long filePages = bases[slotArray.length];
    long total = 0;
    long limit = 0;
    for (MemorySlotSpec s : slotArray) {
      total += s.pageCount();
      limit = Math.max(limit, s.endGfn());
    }
    this.totalPages = total;
    this.gfnLimit = limit;
    long words = (filePages + 63) >>> 6;
    if (words > Integer.MAX_VALUE) throw new IllegalArgumentException("guest memory too large");
    this.written = new long[(int) words];
    this.mappedBlocks = new long[(int) ((((filePages + BLOCK_PAGES - 1) >>> BLOCK_SHIFT) + 63) >>> 6)];
    this.populatedBlocks = new long[mappedBlocks.length];
    this.file = backing != null ? extendTo(backing, filePages) : BackingFile.sparse(dir, filePages << PAGE_SHIFT);
    try {
      this.mappings = map(file, filePages);
    } catch (IOException e) {
      closeQuietly(file);
      throw new UncheckedIOException("cannot map guest memory" + (dir == null ? "" : " in " + dir), e);
    }
    this.regions = new ByteBuffer[mappings.length];
    for (int r = 0; r < mappings.length; r++)
      regions[r] = mappings[r].buffer().order(ByteOrder.LITTLE_ENDIAN);
    long populatedPages = 0;
    for (long[] b : populate) populatedPages += b[1];
    if (!populate.isEmpty()) populate(populate, threads, dir);
    this.populated = populatedPages == totalPages && totalPages > 0;
  }

  /**
   * Stores a zero byte into every page of the given blocks through the mapping, one block per
   * chunk, and marks each block populated and mapped (readers then read it in place). The pages
   * hold zeros (a preallocated file nobody wrote), so the stores change no content; the workers
   * are joined before the constructor returns, which orders their stores and bits before any use
   * of this memory.
   */
  private void populate(List<long[]> blocks, int threads, Path dir) {
    Throwable f =
        ParallelChunks.run(
            blocks.size(), threads, "guest-populate",
            () -> c -> {
              final long first = blocks.get(c)[0];
              final ByteBuffer r = region(first);
              for (long p = first; p < first + blocks.get(c)[1]; p++) r.put(offsetInRegion(p), (byte) 0);
              markMapped(first);
              final long block = first >>> BLOCK_SHIFT;
              BITS.getAndBitwiseOr(populatedBlocks, (int) (block >>> 6), 1L << block); // atomic: blocks share words
            });
    if (f != null) {
      close();
      String what = "cannot map the preallocated guest memory in " + dir;
      if (f instanceof InterruptedException) throw new IllegalStateException(what + ": interrupted", f);
      throw new IllegalStateException(what + ": " + f, f);
    }
  }

  /** Whether every page is backed and mapped in this process ({@link #preallocated}). */
  public boolean populated() {
    return populated;
  }

  /** Whether page gfn lies in a populated block ({@link #preallocated}, {@link #sampled}). */
  public boolean isPopulated(long gfn) {
    return isPopulatedBlock(filePage(gfn));
  }

  private boolean isPopulatedBlock(long filePage) {
    final long block = filePage >>> BLOCK_SHIFT;
    return (populatedBlocks[(int) (block >>> 6)] & (1L << block)) != 0;
  }

  /**
   * Where each slot lives in the backing file: element i is slot i's first file page (each slot
   * starts on a region boundary), the last element the file's length in pages.
   *
   * @throws IllegalArgumentException when the slots overlap or are not sorted by gfn
   */
  public static long[] fileLayout(List<MemorySlotSpec> slots) {
    long[] out = new long[slots.size() + 1];
    long prevEnd = -1;
    long filePages = 0;
    for (int i = 0; i < slots.size(); i++) {
      MemorySlotSpec s = slots.get(i);
      if (s.baseGfn() < prevEnd) throw new IllegalArgumentException("slots overlap or are unsorted");
      prevEnd = s.endGfn();
      out[i] = filePages;
      filePages += roundUp(s.pageCount(), 1L << REGION_PAGES_SHIFT);
    }
    out[slots.size()] = filePages;
    return out;
  }

  /**
   * A backing file for a memory of these slots with every slot page backed ({@link
   * BackingFile#preallocated}); the region padding after each slot stays a hole.
   */
  public static FileChannel preallocatedBacking(List<MemorySlotSpec> slots, Path dir, int threads) {
    long[] bases = fileLayout(slots);
    long[] ranges = new long[2 * slots.size()];
    for (int i = 0; i < slots.size(); i++) {
      ranges[2 * i] = bases[i] << PAGE_SHIFT;
      ranges[2 * i + 1] = slots.get(i).pageCount() << PAGE_SHIFT;
    }
    return BackingFile.preallocated(dir, bases[slots.size()] << PAGE_SHIFT, ranges, threads);
  }

  private static long roundUp(long v, long unit) {
    return (v + unit - 1) / unit * unit;
  }

  /** {@code /dev/shm} when it is a writable directory, else the temp dir ({@link BackingFile#defaultDir}). */
  public static Path defaultBackingDir() {
    return BackingFile.defaultDir();
  }

  /** The given backing file, extended (sparse) to filePages pages when it is shorter. */
  private static FileChannel extendTo(FileChannel ch, long filePages) {
    try {
      // One zero byte at the new end extends the file (the channel has no setLength); the page it
      // lands in is allocated, its content stays zeros.
      if (ch.size() < (filePages << PAGE_SHIFT)) ch.write(ByteBuffer.allocate(1), (filePages << PAGE_SHIFT) - 1);
      return ch;
    } catch (IOException e) {
      closeQuietly(ch);
      throw new UncheckedIOException("cannot size the guest memory's backing file", e);
    }
  }

  /** Maps the file in regions of {@link #REGION_BYTES}. */
  private static Unmapper.Region[] map(FileChannel ch, long filePages) throws IOException {
    long bytes = filePages << PAGE_SHIFT;
    int n = (int) ((bytes + REGION_BYTES - 1) / REGION_BYTES);
    Unmapper.Region[] out = new Unmapper.Region[n];
    try {
      for (int r = 0; r < n; r++) {
        long off = r * REGION_BYTES;
        out[r] = Unmapper.map(ch, off, Math.min(REGION_BYTES, bytes - off));
      }
      return out;
    } catch (IOException | RuntimeException e) {
      for (Unmapper.Region m : out) if (m != null) Unmapper.unmap(m);
      throw e;
    }
  }

  private static void closeQuietly(FileChannel ch) {
    BackingFile.closeQuietly(ch);
  }

  @Override
  public List<MemorySlotSpec> slots() {
    return slots;
  }

  @Override
  public long totalPages() {
    return totalPages;
  }

  @Override
  public long gfnLimit() {
    return gfnLimit;
  }

  @Override
  public MemorySlotSpec slotOf(long gfn) {
    int i = slotIndex(gfn);
    return i < 0 ? null : slotArray[i];
  }

  private int slotIndex(long gfn) {
    for (int i = 0; i < slotArray.length; i++) if (slotArray[i].contains(gfn)) return i;
    return -1;
  }

  /** The page's index in the backing file. */
  private long filePage(long gfn) {
    int i = slotIndex(gfn);
    if (i < 0) throw new IndexOutOfBoundsException("gfn " + gfn + " is in no memory slot");
    return filePageBase[i] + (gfn - slotArray[i].baseGfn());
  }

  private ByteBuffer region(long filePage) {
    return regions[(int) (filePage >>> REGION_PAGES_SHIFT)];
  }

  private static int offsetInRegion(long filePage) {
    return (int) ((filePage & REGION_PAGE_MASK) << PAGE_SHIFT);
  }

  private boolean isWrittenPage(long filePage) {
    long w = (long) BITS.getOpaque(written, (int) (filePage >>> 6));
    return (w & (1L << filePage)) != 0;
  }

  /** Notes that this process wrote the page's block through the mapping (reader hint). */
  private void markMapped(long filePage) {
    final long block = filePage >>> BLOCK_SHIFT;
    final int wi = (int) (block >>> 6);
    final long m = 1L << block;
    if (((long) BITS.getOpaque(mappedBlocks, wi) & m) == 0) BITS.getAndBitwiseOr(mappedBlocks, wi, m);
  }

  private boolean isMappedBlock(long filePage) {
    final long block = filePage >>> BLOCK_SHIFT;
    return ((long) BITS.getOpaque(mappedBlocks, (int) (block >>> 6)) & (1L << block)) != 0;
  }

  /** Sets the page's written bit and the block's mapped hint (a write through the mapping). */
  private void markWrittenThroughMapping(long filePage) {
    markWritten(filePage);
    markMapped(filePage);
  }

  /**
   * Sets the page's written bit. Nothing is counted here ({@link #pagesAllocated} counts the bits
   * when asked): a {@code LongAdder} per first write took another branch once two writers
   * collided, which a destination's page-path warm-up (one scratch memory per call) never met, and
   * round 0's two streams threw the compiled page placement away on their first collision (JFR).
   */
  private void markWritten(long filePage) {
    final int wi = (int) (filePage >>> 6);
    final long m = 1L << filePage;
    if (((long) BITS.getOpaque(written, wi) & m) != 0) return;
    BITS.getAndBitwiseOr(written, wi, m);
  }

  /**
   * Guest store of 8 bytes at {@code byteOffset} (a multiple of 8) of page gfn; the MMU calls it
   * inside a store window, after translation. Opaque (atomic, no tearing) on JDK 17 and 25: the
   * direct buffer's address is page-aligned, so every 8-byte-aligned offset is aligned.
   */
  public void storeLong(long gfn, int byteOffset, long value) {
    final long p = filePage(gfn);
    if (!isWrittenPage(p)) markWrittenThroughMapping(p); // first write: the one-time bookkeeping
    LONGS.setOpaque(region(p), offsetInRegion(p) + byteOffset, value);
  }

  /** The 8 bytes at {@code byteOffset} of page gfn (opaque read; 0 for a never-written page). */
  public long readLong(long gfn, int byteOffset) {
    final long p = filePage(gfn);
    if (!isWrittenPage(p)) return 0L;
    return (long) LONGS.getOpaque(region(p), offsetInRegion(p) + byteOffset);
  }

  /** True when the page was ever written (by guest or host); false pages hold no memory. */
  public boolean isAllocated(long gfn) {
    return isWrittenPage(filePage(gfn));
  }

  @Override
  public boolean isWritten(long gfn) {
    return isWrittenPage(filePage(gfn));
  }

  @Override
  public boolean readPage(long gfn, byte[] dst, int off) {
    final long p = filePage(gfn);
    if (!isWrittenPage(p)) return false;
    region(p).get(offsetInRegion(p), dst, off, PAGE_SIZE); // racy plain copy: see class doc
    return true;
  }

  @Override
  public boolean readPage(long gfn, ByteBuffer dst) {
    final long p = filePage(gfn);
    if (!isWrittenPage(p)) return false;
    final int at = dst.position();
    dst.put(at, region(p), offsetInRegion(p), PAGE_SIZE); // racy plain copy: see class doc
    dst.position(at + PAGE_SIZE);
    return true;
  }

  @Override
  public void writePage(long gfn, byte[] src, int off) {
    final long p = filePage(gfn);
    if (!isWrittenPage(p)) {
      if (isZero(src, off)) return; // keep never-written pages unbacked
      markWritten(p);
    }
    markMapped(p);
    region(p).put(offsetInRegion(p), src, off, PAGE_SIZE);
  }

  /**
   * Host write of a page from {@code src[srcIndex, srcIndex + PAGE_SIZE)}. From a direct buffer
   * the kernel places it (pwrite, see the class doc; src's position and limit are restored); from
   * a heap buffer it is copied through the mapping.
   *
   * @throws GuestMemoryExhaustedException when the host has no room for a new page
   */
  @Override
  public void writePage(long gfn, ByteBuffer src, int srcIndex) {
    if (src.isDirect()) {
      writePages(gfn, 1, src, srcIndex);
      return;
    }
    final long p = filePage(gfn);
    if (!isWrittenPage(p) && isZero(src, srcIndex)) return; // keep never-written pages unbacked
    copyThroughMapping(p, src, srcIndex);
  }

  /** Host copy of one page through the mapping (heap sources, or when the channel is closed). */
  private void copyThroughMapping(long filePage, ByteBuffer src, int srcIndex) {
    markWritten(filePage);
    markMapped(filePage);
    region(filePage).put(offsetInRegion(filePage), src, srcIndex, PAGE_SIZE);
  }

  /**
   * Host write of a run of pages (see {@link GuestMemory#writePages}). From a direct buffer, each
   * stretch of the run that is contiguous in the backing file is placed with one positional write
   * (see the class doc), except never-written pages whose content is zero, which stay unbacked.
   *
   * @throws GuestMemoryExhaustedException when the host has no room for a new page
   */
  @Override
  public void writePages(long gfn, int pages, ByteBuffer src, int srcIndex) {
    if (!src.isDirect()) {
      GuestMemory.super.writePages(gfn, pages, src, srcIndex);
      return;
    }
    int k = 0;
    while (k < pages) {
      final long first = filePage(gfn + k);
      final boolean populatedRun = isPopulatedBlock(first);
      // Extend the stretch while the file pages follow on within one 2 MiB block (so within one
      // mapping and one kind, populated or not) and no page is a fresh zero page. Every block
      // boundary ends a stretch, not only those between mappings or kinds: a test for a mapping's
      // end is a branch a warm-up within the first 256 MiB never takes, and round 0 took it 1 GiB
      // in (JFR: unstable_if in writePages, the placement compiled again inside the round); a block
      // boundary the warm-up meets every 2 MiB. It costs one more copy or pwrite per 2 MiB.
      int n = 0;
      while (k + n < pages) {
        final long p = first + n;
        if (n > 0 && ((p & (BLOCK_PAGES - 1)) == 0 || filePage(gfn + k + n) != p))
          break; // the next page starts a block, or is in another slot
        if (!isWrittenPage(p) && isZero(src, srcIndex + (k + n) * PAGE_SIZE)) break;
        n++;
      }
      if (n == 0) { // a fresh zero page: keep it unbacked
        k++;
        continue;
      }
      if (populatedRun) { // one copy, no fault, no system call (see #preallocated)
        region(first).put(offsetInRegion(first), src, srcIndex + k * PAGE_SIZE, n * PAGE_SIZE);
        for (int j = 0; j < n; j++) markWritten(first + j);
      } else if (place(first, n, src, srcIndex + k * PAGE_SIZE)) {
        for (int j = 0; j < n; j++) markWritten(first + j);
      } else {
        for (int j = 0; j < n; j++) copyThroughMapping(first + j, src, srcIndex + (k + j) * PAGE_SIZE);
      }
      k += n;
    }
  }

  /**
   * Writes {@code pages} pages at file page {@code filePage} with one positional write to the
   * backing file; false when the channel is closed (an interrupt closed it, or the memory is
   * closing): the caller then uses the mapping.
   */
  private boolean place(long filePage, int pages, ByteBuffer src, int srcIndex) {
    final int savedPosition = src.position();
    final int savedLimit = src.limit();
    try {
      src.limit(srcIndex + pages * PAGE_SIZE).position(srcIndex);
      long at = filePage << PAGE_SHIFT;
      while (src.hasRemaining()) at += file.write(src, at);
      return true;
    } catch (ClosedByInterruptException e) {
      Thread.currentThread().interrupt(); // keep the interrupt for the caller; write via the mapping
      return false;
    } catch (ClosedChannelException e) {
      return false;
    } catch (IOException e) {
      throw new GuestMemoryExhaustedException(
          "cannot place " + pages + " guest page(s) at file offset 0x"
              + Long.toHexString(filePage << PAGE_SHIFT) + ": " + e.getMessage(),
          e);
    } finally {
      src.limit(savedLimit).position(savedPosition);
    }
  }

  @Override
  public void zeroPage(long gfn) {
    final long p = filePage(gfn);
    if (!isWrittenPage(p)) return;
    markMapped(p);
    final ByteBuffer r = region(p);
    final int base = offsetInRegion(p);
    for (int i = 0; i < PAGE_SIZE; i += 8) r.putLong(base + i, 0L);
  }

  private static boolean isZero(byte[] src, int off) {
    return java.util.Arrays.mismatch(src, off, off + PAGE_SIZE, ZeroPage.ARRAY, 0, PAGE_SIZE) < 0;
  }

  private static boolean isZero(ByteBuffer src, int index) {
    for (int i = 0; i < PAGE_SIZE; i += 8) if (src.getLong(index + i) != 0) return false;
    return true;
  }

  @Override
  public PageReader newReader() {
    return new RegionReader();
  }

  /**
   * Reader with its own view of each region (created on first use, then reused): a page view
   * costs no allocation.
   */
  private final class RegionReader implements PageReader {
    private final ByteBuffer[] views = new ByteBuffer[regions.length];

    /**
     * Blocks this process never wrote through the mapping are read with one pread into bounce (no
     * fault per page); others return null (read them in place with {@link #page}).
     */
    @Override
    public ByteBuffer run(long gfn, int pages, ByteBuffer bounce) {
      if (pages <= 0 || bounce.capacity() < (long) pages << PAGE_SHIFT) return null;
      final long first = filePage(gfn);
      if (filePage(gfn + pages - 1) != first + pages - 1) return null; // not one run of the file
      for (long b = first >>> BLOCK_SHIFT; b <= (first + pages - 1) >>> BLOCK_SHIFT; b++)
        if (isMappedBlock(b << BLOCK_SHIFT)) return null;
      bounce.clear().limit(pages << PAGE_SHIFT);
      try {
        long at = first << PAGE_SHIFT;
        while (bounce.hasRemaining()) {
          int n = file.read(bounce, at);
          if (n < 0) return null; // cannot happen: the file covers every slot
          at += n;
        }
      } catch (ClosedByInterruptException e) {
        Thread.currentThread().interrupt();
        return null;
      } catch (IOException e) {
        return null; // the mapping still reads the same bytes
      }
      return bounce.flip();
    }

    @Override
    public ByteBuffer page(long gfn) {
      final long p = filePage(gfn);
      if (!isWrittenPage(p)) return null;
      final int ri = (int) (p >>> REGION_PAGES_SHIFT);
      ByteBuffer v = views[ri];
      if (v == null) views[ri] = v = regions[ri].duplicate().order(ByteOrder.LITTLE_ENDIAN);
      final int at = offsetInRegion(p);
      v.limit(at + PAGE_SIZE).position(at);
      return v;
    }
  }

  /** Bytes of host memory holding page contents: written pages (each 4 KiB of the mapping). */
  @Override
  public long residentBytes() {
    return pagesAllocated() * PAGE_SIZE;
  }

  /**
   * Pages ever written (by guest or host): the written bits, counted now (one pass over the bitmap,
   * 32 KiB per GiB of guest: for reports and tests, not for hot paths). Exact when no writer runs;
   * while writers run, a count between the pages written before the call and those written by its
   * end (each bit is read once, opaque).
   */
  public long pagesAllocated() {
    long n = 0;
    for (int i = 0; i < written.length; i++) n += Long.bitCount((long) BITS.getOpaque(written, i));
    return n;
  }

  /**
   * Unmaps the memory now (see the class doc: nobody may touch it afterwards). Idempotent.
   * Without it, the mapping goes when the buffers are collected.
   */
  @Override
  public synchronized void close() {
    if (closed) return;
    closed = true;
    closeQuietly(file);
    for (Unmapper.Region m : mappings) Unmapper.unmap(m);
  }
}
