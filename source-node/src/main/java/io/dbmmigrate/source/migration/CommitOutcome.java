package io.dbmmigrate.source.migration;

import java.util.List;

/**
 * The destination's answer to a commit.
 *
 * @param match its SHA-256 of all guest memory equals the source's
 * @param resumed the VM runs there now
 * @param destDigestHex its flat SHA-256, hex
 * @param mismatchedRanges "gpa+length" of chunks that differ (empty on match)
 * @param readyMillis destination-side commit work until ready to resume, hashing excluded
 * @param verifyMillis destination hashing time
 * @param detail why not resumed ("" otherwise)
 * @param dest the destination's own timings and collector pauses ({@link DestCommitTimings#UNKNOWN}
 *     when it did not report them)
 */
public record CommitOutcome(
    boolean match,
    boolean resumed,
    String destDigestHex,
    List<String> mismatchedRanges,
    double readyMillis,
    double verifyMillis,
    String detail,
    DestCommitTimings dest) {
  public CommitOutcome {
    mismatchedRanges = List.copyOf(mismatchedRanges);
    if (dest == null) dest = DestCommitTimings.UNKNOWN;
  }
}
