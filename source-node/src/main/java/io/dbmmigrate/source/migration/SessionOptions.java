package io.dbmmigrate.source.migration;

/**
 * What the source asks of the destination when opening a session.
 *
 * @param migrationId for logs and reports on both sides
 * @param testCorruptGfn test fault injection (-1: none)
 */
public record SessionOptions(
    String migrationId, int streams, int batchBytes, boolean compress, long testCorruptGfn) {}
