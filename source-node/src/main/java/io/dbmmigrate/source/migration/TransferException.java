package io.dbmmigrate.source.migration;

/** A failure talking to the destination (RPC error, stalled stream, refused session). */
public class TransferException extends Exception {
  public TransferException(String message) {
    super(message);
  }

  public TransferException(String message, Throwable cause) {
    super(message, cause);
  }
}
