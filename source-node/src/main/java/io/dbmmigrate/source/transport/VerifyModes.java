package io.dbmmigrate.source.transport;

import io.dbmmigrate.digest.VerifyMode;

/** VerifyMode to and from the wire enum. */
public final class VerifyModes {
  private VerifyModes() {}

  public static io.dbmmigrate.proto.v1.VerifyMode toProto(VerifyMode m) {
    return switch (m) {
      case STRICT -> io.dbmmigrate.proto.v1.VerifyMode.VERIFY_MODE_STRICT;
      case BACKGROUND -> io.dbmmigrate.proto.v1.VerifyMode.VERIFY_MODE_BACKGROUND;
      case OFF -> io.dbmmigrate.proto.v1.VerifyMode.VERIFY_MODE_OFF;
    };
  }

  /** UNSPECIFIED (an older peer) is STRICT. */
  public static VerifyMode fromProto(io.dbmmigrate.proto.v1.VerifyMode m) {
    return switch (m) {
      case VERIFY_MODE_BACKGROUND -> VerifyMode.BACKGROUND;
      case VERIFY_MODE_OFF -> VerifyMode.OFF;
      default -> VerifyMode.STRICT;
    };
  }
}
