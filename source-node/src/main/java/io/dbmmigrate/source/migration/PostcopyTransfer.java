package io.dbmmigrate.source.migration;

import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.report.PostcopyTimeline;
import java.util.List;

/**
 * The source's side of post-copy after StartPostcopy: pushes every missing page (requested pages
 * first, on their own channel) until the destination holds them all, reconnecting after a cut or
 * stalled link (QEMU's postcopy-recover), then completes with the receipt digest.
 */
public interface PostcopyTransfer {
  /**
   * Runs until the destination reports no page missing.
   *
   * @throws TransferException when no channel could be re-established within the recovery time
   *     (the VM is then lost: its memory is split across the nodes)
   */
  Pushed push(GuestMemory pausedMemory) throws TransferException, InterruptedException;

  /** Compares the source's receipt sums with the destination's; ends the session. */
  Completion complete(long[] sourceChunkSums) throws TransferException;

  /**
   * Pages and bytes the source sent in the background and on request; reconnections made (only
   * those that re-established post-copy, not the attempts that failed while the link was down).
   */
  record Pushed(long pagesPushed, long pagesRequested, long bytes, int reconnects) {}

  /**
   * The destination's verdict and its statistics (target.proto CompletePostcopyResponse); {@code
   * guestRate} is its guest's write rate since resume, or null when it sent none (an older
   * destination) or stopped at its cap before the last page: the run then reports no lost work.
   */
  record Completion(
      boolean match,
      List<String> mismatchedRanges,
      List<Double> blocktimeMillisPerVcpu,
      double blocktimeMillisTotal,
      long pagesRequested,
      long pagesReceived,
      long duplicates,
      double p50Millis,
      double p99Millis,
      double maxMillis,
      double lastPageMillis,
      int recoveries,
      String detail,
      List<PostcopyTimeline.DestSample> guestRate) {}
}
