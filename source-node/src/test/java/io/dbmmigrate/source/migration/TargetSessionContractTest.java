package io.dbmmigrate.source.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dbmmigrate.digest.MemoryDigester;
import io.dbmmigrate.memory.BackingPageSize;
import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.memory.MemorySlotSpec;
import io.dbmmigrate.machine.VcpuSnapshot;
import io.dbmmigrate.net.NanoClock;
import io.dbmmigrate.net.RateLimiter;
import io.dbmmigrate.testing.MapGuestMemory;
import io.dbmmigrate.vcpu.WorkloadSpec;
import io.dbmmigrate.vcpu.Workloads;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link TargetSession} must do, whatever carries the pages: each binding (the in-memory
 * {@code FakeTarget} the controller tests use, the real gRPC session against the real destination
 * service) runs the same cases. A fake that passes here behaves, for the controller, like the real
 * pair; a difference shows up as one binding failing a case.
 *
 * <p>The contract: a round delivers exactly the pages whose bits are set (zero pages as zeros) and
 * reports them; a later round overwrites an earlier one; commit compares the whole memory with the
 * source's digest, resumes only on a match and only when asked; a cancelled session sends no more
 * rounds; abort and close never throw.
 */
public abstract class TargetSessionContractTest {
  /** A small ROM slot and a RAM slot at a high gfn, as a real VM has. */
  protected static final List<MemorySlotSpec> SLOTS =
      List.of(new MemorySlotSpec(0, "rom", 0, 8, true), new MemorySlotSpec(1, "ram", 262144, 1024, false));

  protected static final VmShape SHAPE = new VmShape(SLOTS, 1, BackingPageSize.SIZE_4K);
  /** A real idle vCPU's state: the real destination restores it (the fake takes anything). */
  private static final List<VcpuSnapshot> VCPUS =
      List.of(
          new VcpuSnapshot(
              0, 0, new long[31], "idle",
              Workloads.create(WorkloadSpec.parse("idle"), 0, 1, 1024, 1).captureState(), 0));

  private TargetConnector connector;
  private TargetSession session;
  private long seed;

  /** A fresh destination to open sessions on (one per test). */
  protected abstract TargetConnector newConnector() throws Exception;

  /** Releases what {@link #newConnector} started. */
  protected void closeConnector() throws Exception {}

  @BeforeEach
  void open() throws Exception {
    seed = System.nanoTime();
    System.out.println(getClass().getSimpleName() + " seed " + seed);
    connector = newConnector();
    session =
        connector.open(SHAPE, new SessionOptions("m-contract", 2, 16 << 10, true, -1), new RateLimiter(0, NanoClock.system()));
  }

  @AfterEach
  void closeAll() throws Exception {
    if (session != null) session.close();
    closeConnector();
  }

  /** Random pages, some never written and some written as zeros. */
  private MapGuestMemory randomMemory() {
    MapGuestMemory m = new MapGuestMemory(SLOTS);
    Random rnd = new Random(seed);
    byte[] page = new byte[GuestMemory.PAGE_SIZE];
    for (MemorySlotSpec s : SLOTS)
      for (long g = s.baseGfn(); g < s.endGfn(); g++) {
        if (rnd.nextInt(4) == 0) continue;
        rnd.nextBytes(page);
        if (rnd.nextInt(8) == 0) Arrays.fill(page, (byte) 0);
        m.writePage(g, page, 0);
      }
    return m;
  }

  private static long zeroPagesAmong(HarvestBitmap.Round bitmap, GuestMemory memory) {
    byte[] page = new byte[GuestMemory.PAGE_SIZE];
    byte[] zero = new byte[GuestMemory.PAGE_SIZE];
    long n = 0;
    for (int w = 0; w < bitmap.wordCount(); w++)
      for (long word = bitmap.word(w); word != 0; word &= word - 1) {
        long gfn = ((long) w << 6) | Long.numberOfTrailingZeros(word);
        Arrays.fill(page, (byte) 0);
        if (!memory.readPage(gfn, page, 0) || Arrays.equals(page, zero)) n++;
      }
    return n;
  }

  private static HarvestBitmap.Round allPages(GuestMemory m) {
    return allPagesExcept(m, -1);
  }

  private static HarvestBitmap.Round allPagesExcept(GuestMemory m, long gfn) {
    HarvestBitmap bitmap = HarvestBitmap.forMemory(m);
    for (io.dbmmigrate.memory.MemorySlotSpec s : m.slots()) {
      if (gfn >= s.baseGfn() && gfn < s.endGfn()) {
        bitmap.setRange(s.baseGfn(), gfn);
        bitmap.setRange(gfn + 1, s.endGfn());
      } else {
        bitmap.setRange(s.baseGfn(), s.endGfn());
      }
    }
    return bitmap.publish();
  }

  private CommitOutcome commit(GuestMemory src, boolean resume) throws TransferException {
    return session.commit(VCPUS, new MemoryDigester(1).digest(src, false), resume);
  }

  @Test
  void aRoundDeliversAndReportsExactlyTheSetPages() throws Exception {
    MapGuestMemory src = randomMemory();
    HarvestBitmap.Round bitmap = allPages(src);
    AtomicLong progressPages = new AtomicLong();
    RoundTransfer t = session.sendRound(0, bitmap, src, (pages, bytes) -> progressPages.addAndGet(pages));
    assertThat(t.pages()).isEqualTo(bitmap.count()).isEqualTo(8 + 1024);
    assertThat(t.zeroPages()).isEqualTo(zeroPagesAmong(bitmap, src));
    assertThat(progressPages.get()).isEqualTo(t.pages());
    CommitOutcome out = commit(src, true);
    assertThat(out.match()).as(out.detail()).isTrue();
    assertThat(out.resumed()).isTrue();
  }

  @Test
  void aLaterRoundOverwritesAnEarlierOneIncludingPagesThatBecameZero() throws Exception {
    MapGuestMemory src = randomMemory();
    session.sendRound(0, allPages(src), src, ProgressSink.NONE);
    HarvestBitmap dirty = HarvestBitmap.forMemory(src);
    byte[] page = new byte[GuestMemory.PAGE_SIZE];
    for (long g = 262144 + 3; g < 262144 + 1024; g += 37) {
      if ((g & 1) == 0) Arrays.fill(page, (byte) 0);
      else page[7] = (byte) (g * 31);
      src.writePage(g, page, 0);
      dirty.setRange(g, g + 1);
    }
    RoundTransfer t = session.sendRound(1, dirty.publish(), src, ProgressSink.NONE);
    assertThat(t.pages()).isEqualTo(dirty.count());
    CommitOutcome out = commit(src, true);
    assertThat(out.match()).as(out.detail()).isTrue();
    assertThat(out.resumed()).isTrue();
  }

  @Test
  void aPageThatWasNeverSentIsAMismatchAndNothingResumes() throws Exception {
    MapGuestMemory src = randomMemory();
    long gfn = 262144 + 100;
    HarvestBitmap.Round bitmap = allPagesExcept(src, gfn);
    byte[] page = new byte[GuestMemory.PAGE_SIZE];
    page[0] = 1; // not zero: a destination that never received it holds zeros there
    src.writePage(gfn, page, 0);
    session.sendRound(0, bitmap, src, ProgressSink.NONE);
    CommitOutcome out = commit(src, true);
    assertThat(out.match()).isFalse();
    assertThat(out.resumed()).isFalse();
  }

  @Test
  void aMatchWithoutResumeDoesNotResume() throws Exception {
    MapGuestMemory src = randomMemory();
    session.sendRound(0, allPages(src), src, ProgressSink.NONE);
    CommitOutcome out = commit(src, false);
    assertThat(out.match()).as(out.detail()).isTrue();
    assertThat(out.resumed()).isFalse();
  }

  @Test
  void aCancelledSessionSendsNoMoreRounds() throws Exception {
    MapGuestMemory src = randomMemory();
    session.sendRound(0, allPages(src), src, ProgressSink.NONE);
    session.cancelInFlight("contract cancel");
    assertThatThrownBy(() -> session.sendRound(1, allPages(src), src, ProgressSink.NONE))
        .isInstanceOf(TransferException.class)
        .hasMessageContaining("cancel");
  }

  @Test
  void abortAndCloseNeverThrowEvenTwice() {
    session.abort("contract abort");
    session.abort(null);
    session.close();
    session.close();
    session = null;
  }
}
