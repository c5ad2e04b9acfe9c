package io.dbmmigrate.snapshot;

import io.dbmmigrate.digest.ChunkLayout;
import io.dbmmigrate.digest.ChunkSource;
import io.dbmmigrate.memory.ChunkedGuestMemory;
import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.memory.MemorySlotSpec;
import io.dbmmigrate.memory.PageReader;
import io.dbmmigrate.mmu.DirtyPageRecorder;
import io.dbmmigrate.mmu.DirtyTracker;
import io.dbmmigrate.mmu.Stage2Mmu;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.LongAdder;

/**
 * A write-protect snapshot of a running guest's memory (QEMU's background snapshot, built here
 * from the MMU's own software dirty-logging machinery): readers see the image as of {@link #begin}
 * while the vCPUs keep writing.
 *
 * <h2>Recipe</h2>
 *
 * <ol>
 *   <li>Begin: install this snapshot as the MMU's software-logging recorder (the pre-write callback
 *       of the write-protect fault path: a permission fault, and a translation fault on a write,
 *       call it <em>before</em> the PTE becomes writable), then write-protect every writable PTE
 *       and invalidate the TLB. When the invalidation returns, every store that used a writable
 *       translation is visible, and every later store to a page faults first.
 *   <li>A vCPU's first write to a page of a chunk not yet read ({@link #markDirty}): the page's
 *       current content, which is still its content as of step 1, is copied aside (or noted as
 *       zeros when never written) before the fault handler makes the PTE writable. A write to a
 *       chunk that a reader is reading right now waits until the reader is done with it (at most
 *       one chunk, about a millisecond). A write to a chunk already read costs nothing more.
 *   <li>A reader claims a chunk, reads each page from its copy when one was saved, else in place
 *       (no vCPU can write it: its writers wait), and releases the chunk. Each chunk is read once.
 *   <li>Close: every chunk counts as read, the MMU's logging goes back to off and the PTEs are
 *       made writable again (lazily would do; eagerly the guest pays no more faults).
 * </ol>
 *
 * <h2>Concurrency contract</h2>
 *
 * <table>
 *   <tr><th>state</th><th>written by</th><th>how</th></tr>
 *   <tr><td>chunk state PENDING → CLAIMED → DONE</td><td>reader (claim, release), close</td>
 *       <td>under the chunk's stripe lock, stored with release; the recorder's fast path reads
 *       DONE with acquire and takes the lock otherwise</td></tr>
 *   <tr><td>a chunk's copies (saved, zero bits, slots)</td><td>recorder (vCPU fault handler)</td>
 *       <td>only while the chunk is PENDING, under the stripe lock; the reader claims under the
 *       same lock, so it sees every copy made before the claim, and none is made after</td></tr>
 *   <tr><td>page bytes in place</td><td>vCPUs</td><td>never while the chunk is CLAIMED: the
 *       write faults (step 1) and its recorder waits for DONE; the reader's release
 *       happens-before the recorder's return, which precedes the PTE relax and the store</td></tr>
 * </table>
 *
 * <p>Exclusive with dirty logging: the MMU follows one tracker. {@link #begin} refuses unless the
 * MMU's tracker is {@link DirtyTracker#OFF}; the dirty log refuses to enable while a snapshot
 * holds the MMU ({@code Stage2DirtyLog.enable}).
 */
public final class WriteProtectSnapshot implements ChunkSource, DirtyPageRecorder, AutoCloseable {
  private static final byte PENDING = 0;
  private static final byte CLAIMED = 1;
  private static final byte DONE = 2;
  private static final VarHandle STATE = MethodHandles.arrayElementVarHandle(byte[].class);
  private static final int STRIPES = 64;
  private static final byte[] ZERO_PAGE = new byte[GuestMemory.PAGE_SIZE];

  private final Stage2Mmu mmu;
  private final ChunkedGuestMemory mem;
  private final ChunkLayout layout;
  private final SnapshotVariant variant;
  private final byte[] state;
  private final ChunkCopies[] copies; // guarded by the chunk's stripe lock
  private final Object[] locks = new Object[STRIPES];
  private final PageCopyStore store = new PageCopyStore();
  private final LongAdder pagesCopied = new LongAdder();
  private final LongAdder writerWaits = new LongAdder();
  private final Object mmuOwner;
  private volatile boolean closed;

  private WriteProtectSnapshot(
      Stage2Mmu mmu, ChunkLayout layout, SnapshotVariant variant, Object mmuOwner) {
    this.mmu = mmu;
    this.mmuOwner = mmuOwner;
    this.mem = mmu.memory();
    this.layout = layout;
    this.variant = variant;
    this.state = new byte[layout.chunkCount()];
    this.copies = new ChunkCopies[layout.chunkCount()];
    for (int i = 0; i < STRIPES; i++) locks[i] = new Object();
  }

  /**
   * Takes the snapshot (step 1 of the recipe). The caller holds {@code mmuOwner}, the lock that
   * serializes changes of the MMU's logging (the dirty log's monitor), and the dirty log refuses to
   * enable while the MMU's logging is not off; {@link #close} takes the same lock.
   */
  public static WriteProtectSnapshot begin(
      Stage2Mmu mmu, ChunkLayout layout, SnapshotVariant variant, Object mmuOwner) {
    if (mmu.tracker() != DirtyTracker.OFF)
      throw new IllegalStateException(
          "dirty logging or another snapshot holds the MMU's write-protect faults");
    WriteProtectSnapshot s = new WriteProtectSnapshot(mmu, layout, variant, mmuOwner);
    if (variant == SnapshotVariant.NO_WRITE_PROTECT) return s;
    // 1a. Fault handlers follow the snapshot's tracker: they call this snapshot before a PTE
    //     becomes writable, and map no blocks (barrier inside).
    mmu.setTracker(new SnapshotTracker(s));
    // 1b. Every writable PTE read-only; 1c. invalidate: old writable translations are gone and
    //     every store that used one is visible.
    for (MemorySlotSpec slot : mmu.memory().slots())
      if (!slot.readOnly()) mmu.writeProtect(slot.baseGfn(), slot.endGfn(), false);
    mmu.invalidateAll();
    return s;
  }

  @Override
  public ChunkLayout layout() {
    return layout;
  }

  /** Pages whose content as of the snapshot was saved before a guest write. */
  public long pagesCopied() {
    return pagesCopied.sum();
  }

  /** Guest writes that waited for a reader to finish a chunk. */
  public long writerWaits() {
    return writerWaits.sum();
  }

  public long copyBytesAllocated() {
    return store.bytesAllocated();
  }

  private Object lockOf(int chunk) {
    return locks[chunk & (STRIPES - 1)];
  }

  // ------------------------------------------------------------ step 2: the vCPU's pre-write call

  /** Called by a fault handler before the PTE of gfn becomes writable (mmu read lock held). */
  @Override
  public void markDirty(int vcpu, long gfn) {
    final int c = layout.chunkOf(gfn);
    if (c < 0 || (byte) STATE.getAcquire(state, c) == DONE) return;
    final Object lock = lockOf(c);
    boolean interrupted = false;
    synchronized (lock) {
      while (true) {
        byte s = state[c];
        if (s == DONE) break;
        if (s == PENDING) {
          preserve(c, gfn);
          break;
        }
        writerWaits.increment();
        try {
          lock.wait(); // CLAIMED: a reader holds the chunk; it notifies on release
        } catch (InterruptedException e) {
          interrupted = true; // a vCPU must not write before the reader is done: keep waiting
        }
      }
    }
    if (interrupted) Thread.currentThread().interrupt();
  }

  /** Under the chunk lock, chunk PENDING: saves the page's content unless saved already. */
  private void preserve(int c, long gfn) {
    ChunkCopies cc = copies[c];
    if (cc == null) copies[c] = cc = new ChunkCopies((int) (layout.endGfn(c) - layout.firstGfn(c)));
    final int k = (int) (gfn - layout.firstGfn(c));
    if (cc.isSaved(k)) return;
    if (!mem.isWritten(gfn)) {
      cc.markZero(k);
      return;
    }
    final int slot = store.allocate();
    final ByteBuffer dst = store.view(slot);
    mem.readPage(gfn, dst);
    cc.markCopied(k, slot);
    pagesCopied.increment();
  }

  // ------------------------------------------------------------ step 3: readers

  /** A reader's per-thread state: its page views and a bounce view of the copy store. */
  @Override
  public Cursor newCursor() {
    return new SnapshotCursor(mem.newReader());
  }

  private record SnapshotCursor(PageReader reader) implements Cursor {}

  /** Receives the pages of one chunk in order: a view of the page, or null for zeros. */
  public interface PageVisitor {
    void page(long gfn, ByteBuffer pageOrNull);
  }

  /**
   * Reads chunk c as of the snapshot: claims it, gives every page to the visitor, releases it.
   * The visitor must not block for long: writers of this chunk wait meanwhile.
   *
   * @param skipIfZero when the whole chunk reads as zeros, visit nothing and return false
   * @return true when the pages were visited
   * @throws CancellationException when the snapshot was closed (or the chunk was read before)
   */
  public boolean readChunk(int c, Cursor cursor, PageVisitor visitor, boolean skipIfZero) {
    claim(c);
    try {
      final ChunkCopies cc = copies[c]; // stable: no copy is made while CLAIMED
      final long first = layout.firstGfn(c);
      final long end = layout.endGfn(c);
      if (skipIfZero && allZero(cc, first, end)) return false;
      final PageReader reader = ((SnapshotCursor) cursor).reader();
      for (long gfn = first; gfn < end; gfn++) {
        final int k = (int) (gfn - first);
        if (cc != null && cc.isSaved(k)) visitor.page(gfn, cc.isZero(k) ? null : store.view(cc.slot(k)));
        else visitor.page(gfn, reader.page(gfn));
      }
      return true;
    } finally {
      release(c);
    }
  }

  private boolean allZero(ChunkCopies cc, long first, long end) {
    for (long gfn = first; gfn < end; gfn++) {
      final int k = (int) (gfn - first);
      if (cc != null && cc.isSaved(k)) {
        if (!cc.isZero(k)) return false;
      } else if (mem.isWritten(gfn)) return false;
    }
    return true;
  }

  @Override
  public boolean hashChunk(int c, Cursor cursor, MessageDigest md) {
    return readChunk(c, cursor, (gfn, page) -> {
      if (page != null) md.update(page);
      else md.update(ZERO_PAGE, 0, ZERO_PAGE.length);
    }, true);
  }

  private void claim(int c) {
    if (closed) throw new CancellationException("snapshot closed");
    synchronized (lockOf(c)) {
      if (state[c] != PENDING) throw new CancellationException("chunk " + c + " already read or snapshot closed");
      STATE.setRelease(state, c, CLAIMED);
    }
  }

  private void release(int c) {
    final Object lock = lockOf(c);
    synchronized (lock) {
      STATE.setRelease(state, c, DONE);
      copies[c] = null; // the copies are not needed any more (their slots are not reused)
      lock.notifyAll();
    }
  }

  // ------------------------------------------------------------ step 4

  /**
   * Ends the snapshot: chunks not read count as read (their readers get a CancellationException),
   * waiting writers proceed, the MMU's logging goes off and its PTEs writable again. Idempotent.
   */
  @Override
  public void close() {
    if (closed) return;
    closed = true;
    for (int c = 0; c < state.length; c++) {
      final Object lock = lockOf(c);
      synchronized (lock) {
        if (state[c] == PENDING) {
          STATE.setRelease(state, c, DONE);
          copies[c] = null;
        }
        lock.notifyAll();
      }
    }
    if (variant == SnapshotVariant.NO_WRITE_PROTECT) return;
    synchronized (mmuOwner) {
      mmu.setTracker(DirtyTracker.OFF);
      for (MemorySlotSpec slot : mem.slots())
        if (!slot.readOnly()) mmu.relaxAll(slot.baseGfn(), slot.endGfn());
    }
  }

  public boolean isClosed() {
    return closed;
  }

  /** The copies of one chunk: a saved bit, a zero bit and a copy slot per page. */
  private static final class ChunkCopies {
    final long[] saved;
    final long[] zero;
    final int[] slots;

    ChunkCopies(int pages) {
      saved = new long[(pages + 63) >>> 6];
      zero = new long[saved.length];
      slots = new int[pages];
    }

    boolean isSaved(int k) {
      return (saved[k >>> 6] & (1L << k)) != 0;
    }

    boolean isZero(int k) {
      return (zero[k >>> 6] & (1L << k)) != 0;
    }

    int slot(int k) {
      return slots[k];
    }

    void markZero(int k) {
      zero[k >>> 6] |= 1L << k;
      saved[k >>> 6] |= 1L << k;
    }

    void markCopied(int k, int slot) {
      slots[k] = slot;
      saved[k >>> 6] |= 1L << k;
    }
  }
}
