package io.dbmmigrate.digest;

import java.util.Locale;

/** How a migration's memory is verified (DESIGN "Verification"; wire: common.proto VerifyMode). */
public enum VerifyMode {
  /** Resume only after the digests match; the guest stands still meanwhile. */
  STRICT("strict"),
  /** Resume at once; a write-protect snapshot is hashed while the guest runs. */
  BACKGROUND("background"),
  /** No hashing: the run is unverified. */
  OFF("off");

  private final String label;

  VerifyMode(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }

  /** What a report says: "strict", "background" or "off (unverified)". */
  public String reportLabel() {
    return this == OFF ? "off (unverified)" : label;
  }

  public static VerifyMode parse(String s) {
    for (VerifyMode m : values()) if (m.label.equals(s.trim().toLowerCase(Locale.ROOT))) return m;
    throw new IllegalArgumentException("verify mode must be strict, background or off, not '" + s + "'");
  }
}
