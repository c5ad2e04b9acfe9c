package io.dbmmigrate.machine;

import java.util.Locale;

/** Parses and formats byte sizes with binary suffixes: "4096", "64k", "512m", "1g", "2MiB", "1t". */
public final class ByteSize {
  private ByteSize() {}

  public static long parse(String text) {
    if (text == null || text.isBlank()) throw new IllegalArgumentException("size is empty");
    String s = text.trim().toLowerCase(Locale.ROOT);
    if (s.endsWith("ib")) s = s.substring(0, s.length() - 2);
    else if (s.endsWith("b")) s = s.substring(0, s.length() - 1);
    int shift = 0;
    char last = s.isEmpty() ? ' ' : s.charAt(s.length() - 1);
    switch (last) {
      case 'k':
        shift = 10;
        break;
      case 'm':
        shift = 20;
        break;
      case 'g':
        shift = 30;
        break;
      case 't':
        shift = 40;
        break;
      default:
        break;
    }
    if (shift != 0) s = s.substring(0, s.length() - 1);
    long n;
    try {
      n = Long.parseLong(s.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a size (examples: 4096, 64k, 512m, 1g)");
    }
    if (n < 0) throw new IllegalArgumentException("size must not be negative: '" + text + "'");
    if (shift > 0 && n > (Long.MAX_VALUE >>> shift))
      throw new IllegalArgumentException("size too large: '" + text + "'");
    return n << shift;
  }

  /** "1 GiB", "512 MiB", "4 KiB", "123 B": the largest exact binary unit. */
  public static String format(long bytes) {
    String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    long v = bytes;
    while (u < units.length - 1 && v != 0 && (v & 1023) == 0) {
      v >>= 10;
      u++;
    }
    return v + " " + units[u];
  }
}
