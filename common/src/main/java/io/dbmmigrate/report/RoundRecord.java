package io.dbmmigrate.report;

/**
 * Statistics of one pre-copy round (DESIGN.md "Outputs"). Field names are the JSON/CSV column names
 * other tools parse; do not rename.
 *
 * @param round 0 = full copy; the final round (after the pause) is the last
 * @param mode "full" (round 0), "hw", "sw" or "final"
 * @param dirtyPages pages the sync of this round collected (round 0: all pages)
 * @param syncMillis wall time of the dirty-log sync (incl. a switch's harvest scan)
 * @param scanThreads threads of a hardware scan (1 for software syncs)
 * @param ptesVisited page-table entries (software: dirty-bitmap entries) the sync touched
 * @param pagesSent page records sent this round (zero pages included)
 * @param zeroPages of which zero-page markers
 * @param bytesSent payload bytes on the wire this round (after compression)
 * @param sendMillis wall time of sending this round's pages, until every stream was acknowledged
 * @param dirtyRatePagesPerSec pages dirtied per second since the previous sync
 * @param throughputBytesPerSec bytesSent / sendMillis
 * @param remainingPages dirty pages left to send after this round's decision
 * @param estimatedDowntimeMillis predicted downtime of pausing after this round: final sync in the
 *     current mode + remaining bytes / measured bandwidth + per-round send overhead + commit round
 *     trip (central estimate; the pause decision adds the recent spread)
 * @param guestWritesPerSec guest stores retired per second during this round
 * @param throttlePercent auto-converge throttle applied during this round
 */
public record RoundRecord(
    int round,
    String mode,
    long dirtyPages,
    double syncMillis,
    int scanThreads,
    long ptesVisited,
    long pagesSent,
    long zeroPages,
    long bytesSent,
    double sendMillis,
    double dirtyRatePagesPerSec,
    double throughputBytesPerSec,
    long remainingPages,
    double estimatedDowntimeMillis,
    double guestWritesPerSec,
    int throttlePercent) {}
