package io.dbmmigrate.experiment;

import io.dbmmigrate.util.ByteSize;
import java.math.BigDecimal;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parsing and formatting of byte sizes ("4k", "2m", "64g") and link rates ("100mbit"). */
final class Sizes {
  private static final Pattern RATE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(bit|kbit|mbit|gbit|tbit)");

  private Sizes() {}

  /** "4k" → 4096, "1g" → 2^30, "512" → 512: {@link ByteSize#parse}. */
  static long parseBytes(String s) {
    return ByteSize.parse(s);
  }

  /** The shortest exact form: 4096 → "4k", 2^30 → "1g", 1000 → "1000". */
  static String formatBytes(long bytes) {
    final String[] units = {"t", "g", "m", "k"};
    final int[] shifts = {40, 30, 20, 10};
    for (int i = 0; i < units.length; i++) {
      long unit = 1L << shifts[i];
      if (bytes != 0 && bytes % unit == 0) return (bytes >> shifts[i]) + units[i];
    }
    return Long.toString(bytes);
  }

  /** "100mbit" → 12_500_000 bytes/s; "0" → 0 (unlimited). tc's decimal units, in bits. */
  static long parseRateBytesPerSec(String s) {
    String t = s.trim().toLowerCase(Locale.ROOT);
    if (t.equals("0")) return 0;
    Matcher m = RATE.matcher(t);
    if (!m.matches())
      throw new IllegalArgumentException("not a link rate: '" + s + "' (use 0 or e.g. 100mbit, 1gbit, 10gbit)");
    BigDecimal n = new BigDecimal(m.group(1));
    long mult =
        switch (m.group(2)) {
          case "kbit" -> 1_000L;
          case "mbit" -> 1_000_000L;
          case "gbit" -> 1_000_000_000L;
          case "tbit" -> 1_000_000_000_000L;
          default -> 1L;
        };
    return n.multiply(BigDecimal.valueOf(mult)).divide(BigDecimal.valueOf(8)).longValue();
  }

  /** Canonical form of a rate: "1000mbit" → "1gbit", "0" → "0". */
  static String formatRate(String s) {
    long bitsPerSec = parseRateBytesPerSec(s) * 8;
    if (bitsPerSec == 0) return "0";
    final String[] units = {"tbit", "gbit", "mbit", "kbit"};
    final long[] mults = {1_000_000_000_000L, 1_000_000_000L, 1_000_000L, 1_000L};
    for (int i = 0; i < units.length; i++)
      if (bitsPerSec % mults[i] == 0) return (bitsPerSec / mults[i]) + units[i];
    return bitsPerSec + "bit";
  }

  /** A number without trailing zeros: "5.0" → "5", "0.50" → "0.5". */
  static String formatDecimal(String s) {
    BigDecimal d = new BigDecimal(s.trim());
    if (d.signum() == 0) return "0";
    return d.stripTrailingZeros().toPlainString();
  }
}
