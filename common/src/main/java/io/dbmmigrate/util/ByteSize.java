package io.dbmmigrate.util;

import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Parses byte sizes with binary suffixes: "4096", "64k", "512m", "1g", "2GiB", "1t". Also a picocli
 * converter, so options declared {@code long} accept the same forms.
 */
public final class ByteSize implements ITypeConverter<Long> {
  /** Parses s; throws IllegalArgumentException with a clear message. */
  public static long parse(String s) {
    if (s == null || s.isBlank()) throw new IllegalArgumentException("size is empty");
    String t = s.trim().toLowerCase(Locale.ROOT).replace("_", "");
    if (t.endsWith("ib")) t = t.substring(0, t.length() - 2);
    else if (t.endsWith("b")) t = t.substring(0, t.length() - 1);
    int shift = 0;
    if (!t.isEmpty()) {
      switch (t.charAt(t.length() - 1)) {
        case 'k' -> shift = 10;
        case 'm' -> shift = 20;
        case 'g' -> shift = 30;
        case 't' -> shift = 40;
        default -> shift = 0;
      }
    }
    if (shift != 0) t = t.substring(0, t.length() - 1);
    try {
      long v = Long.parseLong(t);
      if (v < 0) throw new IllegalArgumentException("size must not be negative: '" + s + "'");
      if (shift > 0 && v > (Long.MAX_VALUE >> shift))
        throw new IllegalArgumentException("size too large: '" + s + "'");
      return v << shift;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "not a size: '" + s + "' (use bytes or a suffix k, m, g, t, e.g. 512m)");
    }
  }

  /** Formats bytes in the largest binary unit that keeps one decimal, e.g. "1.5 GiB". */
  public static String format(long bytes) {
    String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = bytes;
    int u = 0;
    while (Math.abs(v) >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return u == 0 ? bytes + " B" : String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }

  @Override
  public Long convert(String value) {
    try {
      return parse(value);
    } catch (IllegalArgumentException e) {
      throw new TypeConversionException(e.getMessage());
    }
  }
}
