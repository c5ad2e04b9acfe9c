package io.dbmmigrate.source.migration;

/**
 * What sending one round's pages did, summed over all streams.
 *
 * @param pages page records sent (zero-page markers included)
 * @param zeroPages of which zero-page markers
 * @param rawBytes payload bytes before compression
 * @param wireBytes payload bytes as sent
 * @param batches batches sent
 * @param nanos wall time from the first batch until every stream was acknowledged
 */
public record RoundTransfer(
    long pages, long zeroPages, long rawBytes, long wireBytes, long batches, long nanos) {
  public static final RoundTransfer EMPTY = new RoundTransfer(0, 0, 0, 0, 0, 0);
}
