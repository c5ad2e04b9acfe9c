package io.dbmmigrate.source.migration;

import io.dbmmigrate.digest.Digest;
import io.dbmmigrate.digest.MemoryDigester;
import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.machine.VcpuSnapshot;
import io.dbmmigrate.net.RateLimiter;
import io.dbmmigrate.testing.MapGuestMemory;
import io.dbmmigrate.wire.PageBatchFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.IntConsumer;

/**
 * An in-memory destination: applies pages to its own memory (zero pages as zeros), verifies with
 * the real digester. Sending costs 10 µs of fake time per page. Fault switches for the failure
 * paths.
 */
final class FakeTarget implements TargetConnector, TargetSession {
  final FakeClock clock;
  MapGuestMemory dest;
  final List<Integer> roundsSent = new ArrayList<>();
  boolean opened;
  boolean aborted;
  boolean closed;
  String cancelledWith;
  long corruptGfn = -1;
  boolean commitThrows;
  DestinationProbe probe = DestinationProbe.UNREACHABLE;
  IntConsumer beforeRound = r -> {};
  long destStores = 1000;
  boolean resumedHere;
  boolean reportTimings = true;
  /** Times each round as one batch of the round's send time (stream 0). */
  final BatchSendLatency latency = new BatchSendLatency(1);

  @Override
  public BatchSendLatency batchSendLatency() {
    return latency;
  }

  FakeTarget(FakeClock clock) {
    this.clock = clock;
  }

  @Override
  public TargetSession open(VmShape shape, SessionOptions options, RateLimiter limiter) {
    opened = true;
    dest = new MapGuestMemory(shape.slots());
    return this;
  }

  @Override
  public RoundTransfer sendRound(
      int round, HarvestBitmap.Round bitmap, GuestMemory memory, ProgressSink progress)
      throws TransferException {
    beforeRound.accept(round);
    if (cancelledWith != null) throw new TransferException("stream cancelled: " + cancelledWith);
    roundsSent.add(round);
    byte[] page = new byte[GuestMemory.PAGE_SIZE];
    long pages = 0;
    long zero = 0;
    long raw = 0;
    for (int w = 0; w < bitmap.wordCount(); w++) {
      long word = bitmap.word(w);
      while (word != 0) {
        long gfn = ((long) w << 6) | Long.numberOfTrailingZeros(word);
        word &= word - 1;
        java.util.Arrays.fill(page, (byte) 0);
        boolean present = memory.readPage(gfn, page, 0);
        boolean isZero = !present || java.util.Arrays.equals(page, new byte[GuestMemory.PAGE_SIZE]);
        if (isZero) {
          dest.zeroPage(gfn);
          zero++;
          raw += PageBatchFormat.HEADER_BYTES;
        } else {
          dest.writePage(gfn, page, 0);
          raw += PageBatchFormat.FULL_RECORD_BYTES;
        }
        pages++;
      }
    }
    progress.batchSent((int) pages, raw);
    long nanos = pages * 10_000 + 100_000;
    clock.advance(nanos);
    latency.stream(0).recordNanos(nanos);
    return new RoundTransfer(pages, zero, raw, raw, pages == 0 ? 0 : 1, nanos);
  }

  @Override
  public CommitOutcome commit(List<VcpuSnapshot> vcpus, Digest sourceDigest, boolean resume)
      throws TransferException {
    if (commitThrows) throw new TransferException("UNAVAILABLE: connection reset");
    if (corruptGfn >= 0) {
      byte[] p = new byte[GuestMemory.PAGE_SIZE];
      dest.readPage(corruptGfn, p, 0);
      p[100] ^= 1;
      dest.writePage(corruptGfn, p, 0);
    }
    // Fake destination time: completeness 1 ms, restore 2 ms, hashing 5 ms, resume 0.5 ms, and
    // 0.25 ms on the wire each way.
    clock.advance(250_000 + 1_000_000 + 2_000_000 + 5_000_000 + 500_000 + 250_000);
    Digest d = new MemoryDigester(1).digest(dest, true);
    boolean match = d.sameMemoryAs(sourceDigest);
    resumedHere = match && resume;
    DestCommitTimings timings =
        reportTimings
            ? new DestCommitTimings(true, 1, 2, 5, 0.5, 0.1, true, List.of())
            : DestCommitTimings.UNKNOWN;
    return new CommitOutcome(
        match, resumedHere, d.hex(), List.of(), 3, reportTimings ? 5 : 8, match ? "" : "digest mismatch", timings);
  }

  @Override
  public void abort(String reason) {
    aborted = true;
  }

  @Override
  public void cancelInFlight(String reason) {
    cancelledWith = reason;
  }

  @Override
  public OptionalLong destinationStoresRetired() {
    destStores += 500;
    return OptionalLong.of(destStores);
  }

  @Override
  public DestinationProbe probe() {
    return probe;
  }

  @Override
  public void close() {
    closed = true;
  }
}
