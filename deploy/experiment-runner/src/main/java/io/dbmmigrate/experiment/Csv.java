package io.dbmmigrate.experiment;

import java.io.IOException;
import java.io.Writer;
import java.util.List;

/** RFC 4180 CSV lines: a field is quoted when it holds a comma, quote, CR or LF. */
final class Csv {
  private Csv() {}

  static void line(Writer w, List<?> fields) throws IOException {
    for (int i = 0; i < fields.size(); i++) {
      if (i > 0) w.write(',');
      w.write(field(fields.get(i)));
    }
    w.write('\n');
  }

  static String field(Object v) {
    if (v == null) return "";
    String s;
    if (v instanceof Double d) s = d.isNaN() || d.isInfinite() ? "" : formatDouble(d);
    else if (v instanceof Float f) s = formatDouble(f.doubleValue());
    else s = v.toString();
    if (s.indexOf(',') >= 0 || s.indexOf('"') >= 0 || s.indexOf('\n') >= 0 || s.indexOf('\r') >= 0)
      return '"' + s.replace("\"", "\"\"") + '"';
    return s;
  }

  private static String formatDouble(double d) {
    if (d == Math.rint(d) && Math.abs(d) < 1e15) return Long.toString((long) d);
    return Double.toString(Math.round(d * 1000) / 1000.0);
  }
}
