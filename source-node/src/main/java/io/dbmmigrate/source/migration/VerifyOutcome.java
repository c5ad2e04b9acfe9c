package io.dbmmigrate.source.migration;

import java.util.List;

/**
 * The destination's verdict of a BACKGROUND verification.
 *
 * @param match its snapshot's tree digest equals the source's
 * @param destDigestHex its tree root, hex
 * @param mismatchedRanges "gpa+length" of the 2 MiB chunks that differ
 * @param verifyMillis the destination's hashing time (the guest ran meanwhile)
 * @param pagesPreserved pages the guest wrote during hashing whose old content was saved first
 * @param detail the destination's words
 */
public record VerifyOutcome(
    boolean match,
    String destDigestHex,
    List<String> mismatchedRanges,
    double verifyMillis,
    long pagesPreserved,
    String detail) {
  public VerifyOutcome {
    mismatchedRanges = List.copyOf(mismatchedRanges);
  }
}
