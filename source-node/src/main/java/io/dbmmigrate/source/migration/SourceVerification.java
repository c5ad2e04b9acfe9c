package io.dbmmigrate.source.migration;

import io.dbmmigrate.digest.Digest;
import io.dbmmigrate.digest.MemoryDigester;
import io.dbmmigrate.digest.VerifyMode;
import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.net.NanoClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The source's part of verification, by mode (DESIGN "Verification"):
 *
 * <ul>
 *   <li>STRICT: the tree digest at pause (one parallel pass) goes with the commit; the destination
 *       resumes only on a match. The guest stands still through both hashings.
 *   <li>BACKGROUND: the commit carries no digest and the destination resumes at once. Then the
 *       source hashes its paused image (its VM never runs again once handed over) while the
 *       destination hashes its write-protect snapshot, and {@link TargetSession#verify} brings the
 *       verdict. A mismatch fails the run loudly with the differing ranges; the VM keeps running
 *       on the destination (it was resumed before anyone knew).
 *   <li>OFF: no hashing; the run is reported as unverified.
 * </ul>
 *
 * A verify-only commit is always strict. Controller thread only.
 */
final class SourceVerification {
  private static final Logger log = LoggerFactory.getLogger(SourceVerification.class);

  /** The outcome of verification after a hand-over. */
  record Verdict(boolean match, String destDigestHex, String error, double verifyMillis) {}

  private final VerifyMode mode;
  private final MemoryDigester digester;
  private final NanoClock clock;
  private Digest sourceDigest;
  private double hashMillis;

  SourceVerification(VerifyMode requested, boolean verifyOnly, MemoryDigester digester, NanoClock clock) {
    this.mode = verifyOnly ? VerifyMode.STRICT : requested;
    this.digester = digester;
    this.clock = clock;
  }

  VerifyMode mode() {
    return mode;
  }

  /** STRICT: the tree digest of the paused memory (null in the other modes). */
  Digest atPause(GuestMemory mem) {
    if (mode != VerifyMode.STRICT) return null;
    final long t0 = clock.nanoTime();
    sourceDigest = digester.tree(mem);
    hashMillis = (clock.nanoTime() - t0) / 1e6;
    return sourceDigest;
  }

  /** Source hashing done while the guest stood still (STRICT only). */
  double hashMillisAtPause() {
    return mode == VerifyMode.STRICT ? hashMillis : 0;
  }

  /** The source's digest in hex, "" when not computed (yet). */
  String sourceHex() {
    return sourceDigest == null ? "" : sourceDigest.hex();
  }

  /** Whether the destination's answer hands the VM over (it runs there now). */
  boolean handsOver(CommitOutcome out) {
    return out.resumed() && (out.match() || mode != VerifyMode.STRICT);
  }

  /** After a hand-over: the verdict (BACKGROUND asks the destination for it). */
  Verdict afterHandOver(CommitOutcome out, TargetSession s, GuestMemory mem) {
    switch (mode) {
      case OFF:
        return new Verdict(false, "", null, 0);
      case STRICT:
        return new Verdict(true, out.destDigestHex(), null, out.verifyMillis());
      default:
        break;
    }
    final long t0 = clock.nanoTime();
    sourceDigest = digester.tree(mem); // the paused source image: it will not change any more
    hashMillis = (clock.nanoTime() - t0) / 1e6;
    VerifyOutcome v;
    try {
      v = s.verify(sourceDigest);
    } catch (TransferException | RuntimeException e) {
      String error = "BACKGROUND VERIFICATION VERDICT LOST: " + e.getMessage() + "; the VM runs on the destination UNVERIFIED";
      log.error(error);
      return new Verdict(false, "", error, hashMillis);
    }
    double millis = hashMillis + v.verifyMillis();
    if (v.match()) {
      log.info(
          "background verification passed: digest {} ({} pages saved before a guest write)",
          sourceDigest.hex(), v.pagesPreserved());
      return new Verdict(true, v.destDigestHex(), null, millis);
    }
    String error =
        "BACKGROUND VERIFICATION FAILED: digest MISMATCH (source " + sourceDigest.hex() + ", destination "
            + v.destDigestHex() + "); the VM already runs on the destination with wrong memory; differing ranges "
            + v.mismatchedRanges();
    log.error(error);
    return new Verdict(false, v.destDigestHex(), error, millis);
  }
}
