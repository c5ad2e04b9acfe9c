package io.dbmmigrate.source.migration;

import io.dbmmigrate.report.LatencyPercentiles;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

/**
 * Per-batch send latency of a session's page streams (issue 15 item 3), as HdrHistograms in
 * microseconds. What one value is: for one page batch, from the stream's first flow-control check
 * for it ({@code isReady}) until gRPC's {@code onNext} returned — the time the batch waited for the
 * transport's readiness, for rate-limiter tokens, and to be serialized into the transport. It does
 * not include encoding (copying, LZ4, CRC32C) before the first check, nor the wire or the
 * destination's apply: those show in the round's send time and throughput. The transport feeds
 * it through {@link Stream#recordNanos}.
 *
 * <p>Concurrency contract: each {@link Stream} has exactly one writer, its stream's sender thread,
 * and records into a {@link SingleWriterRecorder} (wait-free, allocation-free: the histogram is
 * sized up front for 1 µs .. {@link #HIGHEST_MICROS}, larger values are clamped to it). The
 * controller thread alone calls {@link #endRound} and {@link #total}: it swaps each stream's
 * interval histogram out (the recorder's phaser makes that safe even against a writer still
 * recording) and merges them into the round's histogram and the migration's. Recycled interval
 * histograms make the swap allocation-free after the first round.
 */
public final class BatchSendLatency {
  /** Largest recordable value: the streams' stall timeout is far below a minute. */
  public static final long HIGHEST_MICROS = TimeUnit.SECONDS.toMicros(60);

  /** Two significant digits: every value within 1 %. */
  static final int DIGITS = 2;

  private final Stream[] streams;
  private final Histogram round = new Histogram(1, HIGHEST_MICROS, DIGITS);
  private final Histogram total = new Histogram(1, HIGHEST_MICROS, DIGITS);

  public BatchSendLatency(int streamCount) {
    streams = new Stream[streamCount];
    for (int i = 0; i < streamCount; i++) streams[i] = new Stream();
  }

  /** The recorder of stream {@code i} (one writer: that stream's sender thread). */
  public Stream stream(int i) {
    return streams[i];
  }

  /** One stream's recorder. */
  public static final class Stream {
    private final SingleWriterRecorder recorder = new SingleWriterRecorder(1, HIGHEST_MICROS, DIGITS);
    private Histogram interval; // controller thread only (recycled)

    private Stream() {}

    /** Records one batch's latency; allocation-free. Sender thread only. */
    public void recordNanos(long nanos) {
      recorder.recordValue(Math.max(1, Math.min(HIGHEST_MICROS, nanos / 1000)));
    }
  }

  /**
   * Ends a round: merges what every stream recorded since the last call into the migration's
   * total and returns the round's percentiles. Controller thread, after the round's sends returned.
   */
  public LatencyPercentiles endRound() {
    round.reset();
    for (Stream s : streams) {
      s.interval = s.recorder.getIntervalHistogram(s.interval);
      round.add(s.interval);
    }
    total.add(round);
    return LatencyPercentiles.ofMicros(round);
  }

  /**
   * Drops what the streams recorded since the last {@link #endRound} (the page-path warm-up's
   * batches). Controller thread, after those sends returned.
   */
  public void discardRecorded() {
    for (Stream s : streams) s.interval = s.recorder.getIntervalHistogram(s.interval);
  }

  /** Every round so far (controller thread). */
  public LatencyPercentiles total() {
    return LatencyPercentiles.ofMicros(total);
  }
}
