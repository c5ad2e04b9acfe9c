package io.dbmmigrate.dest;

import static org.assertj.core.api.Assertions.assertThat;

import io.dbmmigrate.digest.ReceiptDigest;
import io.dbmmigrate.memory.ChunkedGuestMemory;
import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.memory.MemorySlotSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Stress and property tests of {@link PostcopyState}'s two promises, each proven by catching a
 * deliberately broken variant ({@link PostcopyState.Flaw}):
 *
 * <ol>
 *   <li>Content before presence: a vCPU that sees a page present (isMissing false, the MMU's
 *       lock-free fast path) and stores into it at once keeps its store; the page's bytes were
 *       placed before the bit cleared. Broken: {@code PRESENT_BEFORE_CONTENT} (the store is
 *       overwritten by the late placement: a lost guest write).
 *   <li>No request is forgotten: over a link that is cut at random (requests in flight on the
 *       broken channel are lost) and reconnected, with no background push, every vCPU waiting for a
 *       page is served. Broken: {@code FORGETS_SENT_REQUESTS} (a vCPU waits forever).
 * </ol>
 *
 * Seeded: each run prints its seed; {@code -Ddbm.postcopy.seeds=1,2,3} reproduces. Every wait is
 * bounded; a stuck vCPU is one that waited {@value #QUIET_MILLIS} ms with no request served.
 */
@Tag("stress")
class PostcopyStateConcurrentTest {
  static final int PAGES = 256;
  static final List<MemorySlotSpec> SLOTS = List.of(new MemorySlotSpec(0, "ram", 0, PAGES, false));
  static final long MARK = 0x5EED_CAFE_F00D_D00DL;
  static final long QUIET_MILLIS = 2_000;

  static PostcopyState state(PostcopyState.Flaw flaw, GuestMemory m, int vcpus) {
    long[] words = new long[PAGES / 64];
    Arrays.fill(words, -1L);
    return PostcopyState.withFlaw(flaw, m, new ReceiptDigest(SLOTS), vcpus, words, System::nanoTime);
  }

  /** Closes the guest memory after a run (GuestMemory is not AutoCloseable). */
  record Guest(ChunkedGuestMemory m) implements AutoCloseable {
    @Override
    public void close() {
      m.close();
    }
  }

  static byte[] content(long gfn) {
    byte[] b = new byte[GuestMemory.PAGE_SIZE];
    Arrays.fill(b, (byte) (gfn + 1));
    return b;
  }

  // ---- 1. content before presence -------------------------------------------------------------

  /**
   * One round: a vCPU spins on page g's missing bit (the fast path) while the installer places g,
   * then stores MARK into it; page by page. Returns the pages whose MARK was overwritten.
   */
  static int lostStoresInOneRound(PostcopyState.Flaw flaw) throws Exception {
    try (Guest guest = new Guest(new ChunkedGuestMemory(SLOTS))) {
      ChunkedGuestMemory m = guest.m();
      PostcopyState s = state(flaw, m, 1);
      AtomicLong spinningOn = new AtomicLong(-1);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      Thread vcpu = new Thread(() -> {
        for (long g = 0; g < PAGES; g++) {
          spinningOn.set(g);
          while (s.isMissing(g) && System.nanoTime() < deadline) Thread.onSpinWait();
          m.storeLong(g, 0, MARK); // the guest's store, right after the page turned present
        }
      }, "vcpu-0");
      vcpu.start();
      for (long g = 0; g < PAGES; g++) {
        while (spinningOn.get() < g && System.nanoTime() < deadline) Thread.onSpinWait();
        s.install(g, content(g), 0);
      }
      vcpu.join(30_000);
      assertThat(vcpu.isAlive()).as("vCPU finished").isFalse();
      assertThat(System.nanoTime()).as("round within its bound").isLessThan(deadline);
      int lost = 0;
      for (long g = 0; g < PAGES; g++) {
        if (m.readLong(g, 0) != MARK) lost++;
        assertThat(m.readLong(g, 8)).as("placed content of page " + g).isEqualTo(
            java.nio.ByteBuffer.wrap(content(g)).getLong());
      }
      s.close();
      return lost;
    }
  }

  @Test
  void aVcpuThatSeesAPagePresentKeepsItsStore() throws Exception {
    for (int round = 0; round < 4; round++)
      assertThat(lostStoresInOneRound(PostcopyState.Flaw.NONE)).as("round " + round).isZero();
  }

  @Test
  void catchesAVariantThatMarksPagesPresentBeforeTheirBytes() throws Exception {
    int lost = 0;
    int rounds = 0;
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (lost == 0 && System.nanoTime() < until) {
      lost += lostStoresInOneRound(PostcopyState.Flaw.PRESENT_BEFORE_CONTENT);
      rounds++;
    }
    System.out.println("PRESENT_BEFORE_CONTENT: " + lost + " lost store(s) after " + rounds + " round(s)");
    assertThat(lost).as("lost guest stores seen in 20 s of rounds").isPositive();
  }

  // ---- 2. no forgotten request ------------------------------------------------------------------

  /** Outcome of one schedule. */
  record Outcome(int stuckVcpus, long requested, long cuts, List<String> violations) {}

  /**
   * Two vCPUs touch random missing pages (the MMU protocol: isMissing, then awaitPresent, then a
   * store); a link thread plays network and source: it connects an URGENT channel, answers requests
   * by installing the page, and at random cuts the channel, losing whatever was in flight on it.
   * No background push: only requests bring pages.
   */
  static Outcome runSchedule(PostcopyState.Flaw flaw, long seed) throws Exception {
    Random rnd = new Random(seed);
    int vcpus = 2;
    int touches = 40;
    double cutProbability = 0.2 + rnd.nextDouble() * 0.3;
    long[][] plan = new long[vcpus][touches];
    for (long[] p : plan) for (int i = 0; i < touches; i++) p[i] = rnd.nextInt(PAGES);
    try (Guest guest = new Guest(new ChunkedGuestMemory(SLOTS))) {
      ChunkedGuestMemory m = guest.m();
      PostcopyState s = state(flaw, m, vcpus);
      List<Thread> threads = new ArrayList<>();
      for (int v = 0; v < vcpus; v++) {
        final int vcpu = v;
        Thread t = new Thread(() -> {
          for (int i = 0; i < touches; i++) {
            long g = plan[vcpu][i];
            if (s.isMissing(g)) s.awaitPresent(vcpu, g);
            m.storeLong(g, 8 + 8 * vcpu, i + 1L);
          }
        }, "vcpu-" + v);
        t.setDaemon(true);
        t.start();
        threads.add(t);
      }
      long cuts = 0;
      long lastServed = System.nanoTime();
      Random link = new Random(seed * 31 + 7);
      while (threads.stream().anyMatch(Thread::isAlive)
          && System.nanoTime() - lastServed < TimeUnit.MILLISECONDS.toNanos(QUIET_MILLIS)) {
        LinkedBlockingQueue<Long> inFlight = new LinkedBlockingQueue<>();
        LongConsumer sink = inFlight::add;
        inFlight.addAll(s.connectUrgent(sink));
        boolean cut = false;
        while (!cut && threads.stream().anyMatch(Thread::isAlive)
            && System.nanoTime() - lastServed < TimeUnit.MILLISECONDS.toNanos(QUIET_MILLIS)) {
          Long g = inFlight.poll(5, TimeUnit.MILLISECONDS);
          if (g == null) continue;
          if (link.nextDouble() < cutProbability) { // the link breaks: this request and the queue are lost
            s.disconnectUrgent(sink);
            inFlight.clear();
            cuts++;
            cut = true;
            if (link.nextBoolean()) Thread.sleep(link.nextInt(3));
            continue;
          }
          s.install(g, content(g), 0);
          lastServed = System.nanoTime();
        }
        if (!cut) s.disconnectUrgent(sink);
      }
      int stuck = 0;
      for (Thread t : threads) {
        t.join(200);
        if (t.isAlive()) stuck++;
      }
      s.close(); // releases stuck vCPUs for good
      for (Thread t : threads) t.join(10_000);
      List<String> violations = new ArrayList<>();
      if (stuck == 0) {
        // Every touched page is present, holds its placed bytes and each vCPU's last store.
        for (int v = 0; v < vcpus; v++) {
          for (int i = 0; i < touches; i++) {
            long g = plan[v][i];
            if (s.isMissing(g)) violations.add("page " + g + " touched by vCPU " + v + " still missing");
            int last = 0;
            for (int j = 0; j < touches; j++) if (plan[v][j] == g) last = j + 1;
            if (m.readLong(g, 8 + 8 * v) != last)
              violations.add("page " + g + ": vCPU " + v + "'s last store " + last + " lost");
            if (m.readLong(g, 0) != java.nio.ByteBuffer.wrap(content(g)).getLong())
              violations.add("page " + g + ": placed bytes changed");
          }
        }
      }
      return new Outcome(stuck, s.stats().requested(), cuts, violations);
    }
  }

  static Stream<Long> seeds() {
    String explicit = System.getProperty("dbm.postcopy.seeds");
    if (explicit != null && !explicit.isBlank())
      return Arrays.stream(explicit.split(",")).map(String::trim).map(Long::parseLong);
    return LongStream.rangeClosed(1, 25).map(i -> i * 104_723).boxed();
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void everyWaitingVcpuIsServedAcrossCutLinks(long seed) throws Exception {
    Outcome o = runSchedule(PostcopyState.Flaw.NONE, seed);
    System.out.println("PostcopyStateConcurrentTest seed=" + seed + " " + o);
    assertThat(o.stuckVcpus()).as("vCPUs left waiting, seed " + seed).isZero();
    assertThat(o.violations()).as("seed " + seed).isEmpty();
    assertThat(o.requested()).as("pages requested, seed " + seed).isPositive();
  }

  @Test
  void catchesAVariantThatForgetsRequestsLostWithABrokenChannel() throws Exception {
    Outcome o = null;
    long seed = 0;
    for (long i = 1; i <= 5 && (o == null || o.stuckVcpus() == 0); i++) {
      seed = i * 104_723;
      o = runSchedule(PostcopyState.Flaw.FORGETS_SENT_REQUESTS, seed);
    }
    System.out.println("FORGETS_SENT_REQUESTS: seed=" + seed + " " + o);
    assertThat(o.cuts()).isPositive();
    assertThat(o.stuckVcpus()).as("vCPUs left waiting forever by the broken variant").isPositive();
  }
}
