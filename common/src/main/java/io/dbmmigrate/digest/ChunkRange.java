package io.dbmmigrate.digest;

/** A range of guest-physical memory covered by one digest chunk. */
public record ChunkRange(long startGpa, long lengthBytes) {}
