package io.dbmmigrate.source.transport;

/** A page stream broke, stalled, or was answered inconsistently. */
final class StreamFailedException extends Exception {
  StreamFailedException(String message, Throwable cause) {
    super(message, cause);
  }
}
