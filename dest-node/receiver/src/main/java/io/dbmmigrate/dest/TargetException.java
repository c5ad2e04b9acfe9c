package io.dbmmigrate.dest;

/**
 * A refused request of the receiving side: its {@link ReceiveError} kind and a message safe to
 * show the client (built only from sanitized client text, see {@link ClientText}). No transport
 * type here: {@link TargetStatuses} maps the kind to a status.
 */
public final class TargetException extends Exception {
  private static final long serialVersionUID = 1L;
  private final ReceiveError kind;

  public TargetException(ReceiveError kind, String message) {
    super(message, null, false, false); // refusals are expected: no stack trace to fill or log
    this.kind = kind;
  }

  public ReceiveError kind() {
    return kind;
  }

  static TargetException invalid(String message) {
    return new TargetException(ReceiveError.INVALID, message);
  }
}
