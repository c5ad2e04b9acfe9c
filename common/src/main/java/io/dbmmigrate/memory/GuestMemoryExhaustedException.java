package io.dbmmigrate.memory;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The host has no room left for a guest page: a write that would allocate a page of the backing
 * file failed (on tmpfs: the file system is full, ENOSPC). Raised by host writes that place pages
 * with a system call ({@link ChunkedGuestMemory#writePage(long, java.nio.ByteBuffer, int)}), so
 * that the node can refuse the page with a status instead of the process dying of SIGBUS, which is
 * what a store into a full tmpfs mapping gets.
 */
public final class GuestMemoryExhaustedException extends UncheckedIOException {
  private static final long serialVersionUID = 1L;

  public GuestMemoryExhaustedException(String message, IOException cause) {
    super(message, cause);
  }
}
