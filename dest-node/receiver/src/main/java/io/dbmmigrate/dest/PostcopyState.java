package io.dbmmigrate.dest;

import io.dbmmigrate.digest.ReceiptDigest;
import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.mmu.MissingPageHook;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;
import org.HdrHistogram.Histogram;

/**
 * The destination's post-copy state (userfaultfd's MISSING mode): which pages have not arrived,
 * the vCPUs waiting for them, the page requests, and QEMU-style statistics.
 *
 * <p>Concurrency contract: {@code missing} is a bitmap read by vCPU threads on every store without
 * a lock ({@link #isMissing}: a volatile read); every change happens under {@code lock}. {@link
 * #install} writes the page content, records its receipt hash and only then clears the bit
 * (volatile write, after the content): a vCPU that sees the bit clear sees the content. Waiting
 * vCPUs block on {@code lock} (wait/notifyAll); {@link #close} releases them for good.
 *
 * <p>Requests survive a broken channel: a request made while no URGENT channel is connected waits in
 * {@code unsent}, and every request still missing is sent again on the next channel ({@link
 * #connectUrgent}), since requests sent on a channel that broke may never have reached the source.
 *
 * <p>{@link Flaw} names deliberately broken variants that PostcopyStateConcurrentTest must catch;
 * only test code can choose one ({@link #withFlaw}, package-private; no option reaches it).
 */
final class PostcopyState implements MissingPageHook {
  /** Deliberately broken variants, for the tests that prove they catch them. */
  enum Flaw {
    NONE,
    /** {@link #install} clears the missing bit before it places the page's bytes. */
    PRESENT_BEFORE_CONTENT,
    /** {@link #connectUrgent} resends only requests never sent, forgetting those lost with a channel. */
    FORGETS_SENT_REQUESTS
  }

  private final GuestMemory memory;
  private final ReceiptDigest receipt;
  private final LongSupplier nanoClock;
  private final AtomicLongArray missing;
  private final long[] initialMissing; // read-only: the set StartPostcopy named
  private final Object lock = new Object();

  // guarded by lock
  private long missingCount;
  private final long[] requestedAt; // per page index in `missing`; 0 = not requested
  private final List<Long> unsent = new ArrayList<>(); // requests made while no URGENT channel
  private LongConsumer requestSink; // the connected URGENT channel, or null
  private final long[] blockedNanos;
  private final long[] blockedSince;
  private int blockedVcpus;
  private long allBlockedSince;
  private long allBlockedNanos;
  private long pagesRequested;
  private long pagesReceived;
  private long duplicates;
  private long lastPageNanos;
  private int recoveries;
  private boolean everConnected;
  private boolean closed;
  private final Histogram latencyMicros = new Histogram(3_600_000_000L, 3);
  final long startedNanos;
  private final Flaw flaw;

  PostcopyState(GuestMemory memory, ReceiptDigest receipt, int vcpus, long[] missingWords, LongSupplier nanoClock) {
    this(memory, receipt, vcpus, missingWords, nanoClock, Flaw.NONE);
  }

  /** A deliberately broken variant (tests only). */
  static PostcopyState withFlaw(
      Flaw flaw, GuestMemory memory, ReceiptDigest receipt, int vcpus, long[] missingWords, LongSupplier nanoClock) {
    return new PostcopyState(memory, receipt, vcpus, missingWords, nanoClock, flaw);
  }

  private PostcopyState(
      GuestMemory memory, ReceiptDigest receipt, int vcpus, long[] missingWords, LongSupplier nanoClock, Flaw flaw) {
    this.flaw = flaw;
    this.memory = memory;
    this.receipt = receipt;
    this.nanoClock = nanoClock;
    this.missing = new AtomicLongArray(missingWords);
    this.initialMissing = missingWords.clone();
    long n = 0;
    for (long w : missingWords) n += Long.bitCount(w);
    this.missingCount = n;
    this.requestedAt = new long[missingWords.length * 64];
    this.blockedNanos = new long[vcpus];
    this.blockedSince = new long[vcpus];
    this.startedNanos = nanoClock.getAsLong();
    if (n == 0) lastPageNanos = startedNanos;
  }

  @Override
  public boolean isMissing(long gfn) {
    return gfn >= 0 && (gfn >>> 6) < missing.length() && (missing.get((int) (gfn >>> 6)) & (1L << gfn)) != 0;
  }

  @Override
  public void awaitPresent(int vcpu, long gfn) {
    synchronized (lock) {
      if (closed || !isMissing(gfn)) return;
      long t0 = nanoClock.getAsLong();
      request(gfn, t0);
      blockedSince[vcpu] = t0;
      if (++blockedVcpus == blockedNanos.length) allBlockedSince = t0;
      boolean interrupted = false;
      while (!closed && isMissing(gfn)) {
        try {
          lock.wait();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      long t1 = nanoClock.getAsLong();
      if (blockedVcpus-- == blockedNanos.length) allBlockedNanos += t1 - allBlockedSince;
      blockedNanos[vcpu] += t1 - t0;
      if (interrupted) Thread.currentThread().interrupt();
    }
  }

  private void request(long gfn, long now) {
    int i = (int) gfn;
    if (requestedAt[i] != 0) return;
    requestedAt[i] = now;
    pagesRequested++;
    if (requestSink != null) requestSink.accept(gfn);
    else unsent.add(gfn);
  }

  /**
   * A page from the source. Refuses (INVALID) a gfn that was never part of the missing set;
   * a page no longer missing is a duplicate: dropped and counted (it must not overwrite guest
   * writes made since it arrived).
   *
   * @param data 4096 bytes at {@code off}, or null for a zero page
   * @return true when this was the last missing page
   */
  boolean install(long gfn, byte[] data, int off) throws TargetException {
    // The range check on the long: a gfn of 2^37 or more would wrap the int word index.
    if (gfn < 0 || (gfn >>> 6) >= initialMissing.length || (initialMissing[(int) (gfn >>> 6)] & (1L << gfn)) == 0)
      throw TargetException.invalid("page gfn 0x" + Long.toHexString(gfn) + " was never missing (unsolicited)");
    synchronized (lock) {
      if (!isMissing(gfn)) {
        duplicates++;
        return false;
      }
      int w = (int) (gfn >>> 6);
      if (flaw == Flaw.PRESENT_BEFORE_CONTENT) missing.set(w, missing.get(w) & ~(1L << gfn)); // BROKEN
      if (data == null) memory.zeroPage(gfn);
      else memory.writePage(gfn, data, off);
      receipt.set(gfn, data, off);
      missing.set(w, missing.get(w) & ~(1L << gfn)); // after the content: release
      pagesReceived++;
      long now = nanoClock.getAsLong();
      long asked = requestedAt[(int) gfn];
      if (asked != 0) latencyMicros.recordValue(Math.max(0, (now - asked) / 1000));
      if (--missingCount == 0) lastPageNanos = now;
      lock.notifyAll();
      return missingCount == 0;
    }
  }

  /** An URGENT channel connected: it gets the requests not sent yet (and every later one). */
  List<Long> connectUrgent(LongConsumer sink) {
    synchronized (lock) {
      if (everConnected) recoveries++;
      everConnected = true;
      requestSink = sink;
      List<Long> pending = new ArrayList<>(unsent);
      // Requests sent on a channel that broke may be lost: resend every one still missing.
      for (int w = 0; w < missing.length() && flaw != Flaw.FORGETS_SENT_REQUESTS; w++) {
        long bits = missing.get(w);
        while (bits != 0) {
          long gfn = ((long) w << 6) + Long.numberOfTrailingZeros(bits);
          bits &= bits - 1;
          if (requestedAt[(int) gfn] != 0 && !pending.contains(gfn)) pending.add(gfn);
        }
      }
      unsent.clear();
      return pending;
    }
  }

  void disconnectUrgent(LongConsumer sink) {
    synchronized (lock) {
      if (requestSink == sink) requestSink = null;
    }
  }

  boolean urgentConnected() {
    synchronized (lock) {
      return requestSink != null;
    }
  }

  /** The missing pages as [start, end) gfn runs. */
  List<long[]> missingRuns() {
    List<long[]> runs = new ArrayList<>();
    synchronized (lock) {
      long start = -1;
      long limit = (long) missing.length() << 6;
      for (long gfn = 0; gfn <= limit; gfn++) {
        boolean m = gfn < limit && isMissing(gfn);
        if (m && start < 0) start = gfn;
        if (!m && start >= 0) {
          runs.add(new long[] {start, gfn});
          start = -1;
        }
      }
    }
    return runs;
  }

  long missingCount() {
    synchronized (lock) {
      return missingCount;
    }
  }

  /** Releases every waiting vCPU for good (the VM is being closed or post-copy ended). */
  void close() {
    synchronized (lock) {
      closed = true;
      lock.notifyAll();
    }
  }

  record Stats(
      long[] blockedMicrosPerVcpu, long allBlockedMicros, long requested, long received, long duplicates,
      long p50Micros, long p99Micros, long maxMicros, long lastPageMillis, int recoveries) {}

  Stats stats() {
    synchronized (lock) {
      long[] per = new long[blockedNanos.length];
      for (int i = 0; i < per.length; i++) per[i] = blockedNanos[i] / 1000;
      boolean any = latencyMicros.getTotalCount() > 0;
      return new Stats(
          per, allBlockedNanos / 1000, pagesRequested, pagesReceived, duplicates,
          any ? latencyMicros.getValueAtPercentile(50) : 0,
          any ? latencyMicros.getValueAtPercentile(99) : 0,
          any ? latencyMicros.getMaxValue() : 0,
          lastPageNanos == 0 ? 0 : (lastPageNanos - startedNanos) / 1_000_000,
          recoveries);
    }
  }
}
