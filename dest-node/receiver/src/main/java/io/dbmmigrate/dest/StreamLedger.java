package io.dbmmigrate.dest;

import io.dbmmigrate.proto.v1.StreamManifest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Which batches arrived, per (stream, round): the next expected sequence number of each, so that
 * duplicates, gaps and reordering are refused as they arrive and completeness is checked at commit
 * against the source's manifest.
 *
 * <p>Ordering rule: within one stream, rounds never go backwards. A page is NOT pinned to a stream
 * (the source's BitmapCursor hands chunks of the harvest to whichever stream asks next); what keeps
 * a later round's copy of a page from being overtaken by an earlier one is the source's round
 * barrier (round r+1 starts only after every stream's round-r summary arrived), as target.proto
 * states. This check refuses a source that breaks the barrier on one stream.
 *
 * <p>Concurrency: all methods synchronized; called once per batch, not per page.
 */
final class StreamLedger {
  private final int streams;
  private final Map<Long, Integer> nextSequence = new HashMap<>();
  private final int[] latestRound;

  StreamLedger(int streams) {
    this.streams = streams;
    this.latestRound = new int[streams];
  }

  private static long key(int stream, int round) {
    return ((long) stream << 32) | (round & 0xffffffffL);
  }

  /** Records an arriving batch, or throws if it is out of place. */
  synchronized void accept(int stream, int round, int sequence) throws TargetException {
    if (stream < 0 || stream >= streams)
      throw TargetException.invalid(
          "stream " + Integer.toUnsignedString(stream) + " out of range; the session has " + streams);
    if (round < 0) throw TargetException.invalid("round " + Integer.toUnsignedString(round) + " out of range");
    if (round < latestRound[stream])
      throw TargetException.invalid(
          "reordered batch: round " + round + " on stream " + stream + " after round " + latestRound[stream]);
    long k = key(stream, round);
    int expected = nextSequence.getOrDefault(k, 0);
    if (sequence < 0)
      throw TargetException.invalid("sequence " + Integer.toUnsignedString(sequence) + " out of range");
    if (sequence < expected)
      throw new TargetException(
          ReceiveError.DUPLICATE,
          "duplicate batch: stream " + stream + " round " + round + " sequence " + sequence);
    if (sequence > expected)
      throw TargetException.invalid(
          "batch gap: stream " + stream + " round " + round + " expected sequence " + expected
              + " but got " + sequence);
    nextSequence.put(k, expected + 1);
    latestRound[stream] = round;
  }

  /**
   * Compares what arrived with the source's manifest.
   *
   * @return an empty list when complete, otherwise one line per discrepancy
   */
  synchronized List<String> missingAgainst(List<StreamManifest> manifest) {
    List<String> problems = new ArrayList<>();
    Map<Long, Integer> remaining = new HashMap<>(nextSequence);
    for (StreamManifest m : manifest) {
      long k = key(m.getStream(), m.getRound());
      int got = remaining.getOrDefault(k, 0);
      remaining.remove(k);
      if (got != m.getBatchCount())
        problems.add(
            "stream " + m.getStream() + " round " + m.getRound() + ": source sent "
                + Integer.toUnsignedString(m.getBatchCount()) + " batches, " + got + " arrived");
    }
    for (Map.Entry<Long, Integer> e : remaining.entrySet())
      problems.add(
          "stream " + (e.getKey() >>> 32) + " round " + (e.getKey() & 0xffffffffL) + ": "
              + e.getValue() + " batches arrived that the manifest does not list");
    return problems;
  }

  synchronized long batches() {
    long n = 0;
    for (int v : nextSequence.values()) n += v;
    return n;
  }
}
