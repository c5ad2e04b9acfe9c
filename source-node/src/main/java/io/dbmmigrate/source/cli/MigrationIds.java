package io.dbmmigrate.source.cli;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.function.Supplier;

/** Migration ids: "m-" and 8 random hex digits. */
final class MigrationIds implements Supplier<String> {
  private final SecureRandom random = new SecureRandom();

  @Override
  public String get() {
    byte[] b = new byte[4];
    random.nextBytes(b);
    return "m-" + HexFormat.of().formatHex(b);
  }
}
