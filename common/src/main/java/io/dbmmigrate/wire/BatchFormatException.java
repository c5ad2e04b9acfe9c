package io.dbmmigrate.wire;

/** A page batch that violates the wire format (bad CRC, malformed records, wrong counts). */
public final class BatchFormatException extends Exception {
  private static final long serialVersionUID = 1L;

  public BatchFormatException(String message) {
    super(message);
  }
}
