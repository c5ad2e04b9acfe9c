package io.dbmmigrate.source.migration;

/**
 * What the source asks of the destination when opening a session.
 *
 * @param migrationId for logs and reports on both sides
 * @param testCorruptGfn test fault injection (-1: none)
 * @param postcopy post-copy may follow: the destination hashes pages as received
 */
public record SessionOptions(
    String migrationId, int streams, int batchBytes, boolean compress, long testCorruptGfn, boolean postcopy) {
  /** Options of a pre-copy-only session. */
  public SessionOptions(String migrationId, int streams, int batchBytes, boolean compress, long testCorruptGfn) {
    this(migrationId, streams, batchBytes, compress, testCorruptGfn, false);
  }
}
