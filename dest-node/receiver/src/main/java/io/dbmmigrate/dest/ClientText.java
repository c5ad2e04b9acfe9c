package io.dbmmigrate.dest;

import java.util.regex.Pattern;

/**
 * Client-supplied strings made safe for logs and statuses, and the id alphabet.
 *
 * <p>{@link #quote}: at most {@value #MAX_CHARS} characters are kept (the rest is summarized as a
 * count), and every control, format or line/paragraph-separator character is escaped as {@code
 * \n}, {@code \r}, {@code \t} or {@code \}{@code uXXXX}, so a client string can neither forge a
 * log line nor make a status trailer large. Every client string that reaches a log or a status goes
 * through here.
 *
 * <p>Ids ({@code migration_id}, {@code source_id}, {@code session_id}): 0..{@value #MAX_ID_CHARS}
 * characters from {@code [A-Za-z0-9._:/@+=-]} (documented in target.proto).
 */
public final class ClientText {
  public static final int MAX_CHARS = 200;
  public static final int MAX_ID_CHARS = 128;
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9._:/@+=-]{0," + MAX_ID_CHARS + "}");

  private ClientText() {}

  /** The string quoted, escaped and capped at {@value #MAX_CHARS} characters; "null" for null. */
  public static String quote(String s) {
    return quote(s, MAX_CHARS);
  }

  /** The string quoted, escaped and capped at maxChars characters; "null" for null. */
  public static String quote(String s, int maxChars) {
    if (s == null) return "null";
    StringBuilder b = new StringBuilder(Math.min(s.length(), maxChars) + 16).append('\'');
    int n = Math.min(s.length(), maxChars);
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      switch (c) {
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        case '\\' -> b.append("\\\\");
        case '\'' -> b.append("\\'");
        default -> {
          int type = Character.getType(c);
          if (Character.isISOControl(c)
              || type == Character.FORMAT
              || type == Character.LINE_SEPARATOR
              || type == Character.PARAGRAPH_SEPARATOR
              || type == Character.SURROGATE
              || type == Character.UNASSIGNED) b.append(String.format("\\u%04x", (int) c));
          else b.append(c);
        }
      }
    }
    b.append('\'');
    if (s.length() > n) b.append(" (").append(s.length() - n).append(" more chars)");
    return b.toString();
  }

  /** True when s is a well-formed id (alphabet and length above). */
  public static boolean isId(String s) {
    return s != null && ID.matcher(s).matches();
  }

  /** Checks an id field; the refusal quotes it safely. */
  static String requireId(String field, String s) throws TargetException {
    if (!isId(s))
      throw TargetException.invalid(
          field + " " + quote(s) + " is not an id (0.." + MAX_ID_CHARS + " chars of [A-Za-z0-9._:/@+=-])");
    return s;
  }
}
