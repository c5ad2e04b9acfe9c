package io.dbmmigrate.memory;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@link GuestMemory} mapped the way a VMM maps guest RAM: off the Java heap, in a shared mapping of
 * a sparse file, in chunks ("regions") of 1 GiB (one mapped {@code ByteBuffer} holds at most
 * 2 GiB). A page the guest never wrote is a hole of the file: it
 * costs no resident memory and reads as zeros. The heap holds metadata only: the region buffers and
 * a bitmap with one "written" bit per page (2 MiB for a 64 GiB guest).
 *
 * <h2>Backing file and release</h2>
 *
 * One file per memory in {@code dir} (default: {@code /dev/shm} when it is a writable directory,
 * else {@code java.io.tmpdir}), sized with ftruncate (sparse), mapped region by region and
 * <b>unlinked right after mapping</b>: no name is left behind even if the process dies, and the
 * kernel frees the pages when the last mapping goes. {@link #close()} unmaps at once ({@link
 * Unmapper}: on JDK 22+ by closing the regions' shared arenas; on JDK 17, which has no public
 * unmap, through the buffers' cleaner, {@code sun.misc.Unsafe.invokeCleaner}). The caller must
 * guarantee that nobody touches the memory from then on (on JDK 17 an access after unmap would
 * crash the JVM): the VM's close ({@code SimulatedVm.close()}) joins its
 * vCPU threads first, and the destination closes a VM only after its session ended (no batch is
 * being applied, no digest running). Without close, the mapping is freed when the buffers are
 * garbage-collected.
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
 *   <tr><td>page bytes, host</td><td>{@link #writePage}, {@link #zeroPage}</td>
 *       <td>plain bulk copy, only while no vCPU runs</td><td>everyone</td></tr>
 *   <tr><td>written bit of a page</td><td>first writer of the page</td>
 *       <td>opaque test, then atomic OR ({@code getAndBitwiseOr}); never cleared; the one writer
 *       that flips it counts the page</td><td>all readers, opaque</td></tr>
 * </table>
 *
 * A guest store sets the page's written bit before it stores its bytes, both inside the MMU's
 * store window. The visibility of guest stores to the host is ordered by that window ({@code
 * TlbDomain}: release on exit, acquire by the waiting invalidator), exactly as before: a host read
 * ordered after a TLB invalidation sees the bit and the bytes. A host read that races a guest store
 * (a pre-copy page copy) may see the bit clear (page read as zeros) or a torn page; the dirty log
 * reports that page again in the next sync, so the torn copy is always resent.
 */
public final class ChunkedGuestMemory implements GuestMemory {
  /** Bytes per mapped region (1 GiB: one mapped buffer may hold at most 2 GiB - 1). */
  public static final long REGION_BYTES = 1L << 30;

  private static final int REGION_PAGES_SHIFT = 30 - PAGE_SHIFT;
  private static final long REGION_PAGE_MASK = (1L << REGION_PAGES_SHIFT) - 1;
  private static final VarHandle LONGS =
      MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle BITS = MethodHandles.arrayElementVarHandle(long[].class);

  private final List<MemorySlotSpec> slots;
  private final MemorySlotSpec[] slotArray;
  /** Per slot: its first page's index in the file (region-aligned). */
  private final long[] filePageBase;
  private final ByteBuffer[] regions;
  private final Unmapper.Region[] mappings;
  /** One bit per file page: set once the page was written (by guest or host). */
  private final long[] written;
  private final long totalPages;
  private final long gfnLimit;
  private final LongAdder pagesWritten = new LongAdder();
  private volatile boolean closed;

  /** A memory backed by a file in {@link #defaultBackingDir()}. */
  public ChunkedGuestMemory(List<MemorySlotSpec> slots) {
    this(slots, defaultBackingDir());
  }

  /** A memory backed by a sparse, unlinked file created in dir. */
  public ChunkedGuestMemory(List<MemorySlotSpec> slots, Path dir) {
    this.slots = List.copyOf(slots);
    this.slotArray = this.slots.toArray(new MemorySlotSpec[0]);
    this.filePageBase = new long[slotArray.length];
    long total = 0;
    long limit = 0;
    long prevEnd = -1;
    long filePages = 0;
    for (int i = 0; i < slotArray.length; i++) {
      MemorySlotSpec s = slotArray[i];
      if (s.baseGfn() < prevEnd) throw new IllegalArgumentException("slots overlap or are unsorted");
      prevEnd = s.endGfn();
      filePageBase[i] = filePages;
      filePages += roundUp(s.pageCount(), 1L << REGION_PAGES_SHIFT);
      total += s.pageCount();
      limit = Math.max(limit, s.endGfn());
    }
    this.totalPages = total;
    this.gfnLimit = limit;
    long words = (filePages + 63) >>> 6;
    if (words > Integer.MAX_VALUE) throw new IllegalArgumentException("guest memory too large");
    this.written = new long[(int) words];
    this.mappings = map(dir, filePages);
    this.regions = new ByteBuffer[mappings.length];
    for (int r = 0; r < mappings.length; r++)
      regions[r] = mappings[r].buffer().order(ByteOrder.LITTLE_ENDIAN);
  }

  private static long roundUp(long v, long unit) {
    return (v + unit - 1) / unit * unit;
  }

  /** {@code /dev/shm} when it is a writable directory (tmpfs: never written back to a disk), else the temp dir. */
  public static Path defaultBackingDir() {
    Path shm = Path.of("/dev/shm");
    if (Files.isDirectory(shm) && Files.isWritable(shm)) return shm;
    return Path.of(System.getProperty("java.io.tmpdir"));
  }

  /** Maps filePages pages of a fresh sparse file in regions, then unlinks the file. */
  private static Unmapper.Region[] map(Path dir, long filePages) {
    long bytes = filePages << PAGE_SHIFT;
    int n = (int) ((bytes + REGION_BYTES - 1) / REGION_BYTES);
    Unmapper.Region[] out = new Unmapper.Region[n];
    Path file = null;
    try {
      file = Files.createTempFile(dir, "dbm-guest-", ".ram");
      try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
        raf.setLength(bytes); // ftruncate: a sparse file, no block allocated
        FileChannel ch = raf.getChannel();
        for (int r = 0; r < n; r++) {
          long off = r * REGION_BYTES;
          out[r] = Unmapper.map(ch, off, Math.min(REGION_BYTES, bytes - off));
        }
      } // the mappings outlive the channel
      return out;
    } catch (IOException e) {
      for (Unmapper.Region m : out) if (m != null) Unmapper.unmap(m);
      throw new UncheckedIOException("cannot map guest memory in " + dir, e);
    } finally {
      if (file != null) {
        try {
          Files.deleteIfExists(file); // unlink now: the pages live as long as the mapping
        } catch (IOException e) {
          // the mapping is valid either way; a leftover name only wastes a directory entry
        }
      }
    }
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

  /** Sets the page's written bit; the one caller that flips it counts the page. */
  private void markWritten(long filePage) {
    final int wi = (int) (filePage >>> 6);
    final long m = 1L << filePage;
    if (((long) BITS.getOpaque(written, wi) & m) != 0) return;
    if (((long) BITS.getAndBitwiseOr(written, wi, m) & m) == 0) pagesWritten.increment();
  }

  /**
   * Guest store of 8 bytes at {@code byteOffset} (a multiple of 8) of page gfn; the MMU calls it
   * inside a store window, after translation. Opaque (atomic, no tearing) on JDK 17 and 25: the
   * direct buffer's address is page-aligned, so every 8-byte-aligned offset is aligned.
   */
  public void storeLong(long gfn, int byteOffset, long value) {
    final long p = filePage(gfn);
    markWritten(p);
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
    region(p).put(offsetInRegion(p), src, off, PAGE_SIZE);
  }

  @Override
  public void writePage(long gfn, ByteBuffer src, int srcIndex) {
    final long p = filePage(gfn);
    if (!isWrittenPage(p)) {
      if (isZero(src, srcIndex)) return; // keep never-written pages unbacked
      markWritten(p);
    }
    region(p).put(offsetInRegion(p), src, srcIndex, PAGE_SIZE);
  }

  @Override
  public void zeroPage(long gfn) {
    final long p = filePage(gfn);
    if (!isWrittenPage(p)) return;
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
    return pagesWritten.sum() * PAGE_SIZE;
  }

  /** Pages ever written (by guest or host). */
  public long pagesAllocated() {
    return pagesWritten.sum();
  }

  /**
   * Unmaps the memory now (see the class doc: nobody may touch it afterwards). Idempotent.
   * Without it, the mapping goes when the buffers are collected.
   */
  @Override
  public synchronized void close() {
    if (closed) return;
    closed = true;
    for (Unmapper.Region m : mappings) Unmapper.unmap(m);
  }
}
