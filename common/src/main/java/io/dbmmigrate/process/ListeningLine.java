package io.dbmmigrate.process;

import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one line a node prints on stdout once it accepts connections, {@code <ROLE>_LISTENING
 * port=<n>} (DEST, SOURCE, RELAY), and its parser. A node started with {@code --metrics-port}
 * also prints {@code METRICS_LISTENING port=<n>} for its Prometheus endpoint; that line is not the
 * node's own ({@link #port} skips it, {@link #port(String, String)} picks it). Scripts read the same line through {@code
 * deploy/lib.sh}'s {@code dbm_wait_listening}.
 */
public final class ListeningLine {
  /** Matches the line; group 1 is the role, group 2 the port. */
  public static final Pattern PATTERN = Pattern.compile("^(?!METRICS_)([A-Z]+)_LISTENING port=(\\d+)$");

  /** The role of the metrics endpoint's line. */
  public static final String METRICS = "METRICS";

  private ListeningLine() {}

  /** The line for {@code role} (e.g. "DEST") listening on {@code port}. */
  public static String format(String role, int port) {
    return role + "_LISTENING port=" + port;
  }

  /** The port, when {@code line} is the LISTENING line of {@code role}. */
  public static OptionalInt port(String line, String role) {
    String prefix = role + "_LISTENING port=";
    if (!line.startsWith(prefix)) return OptionalInt.empty();
    String digits = line.substring(prefix.length());
    if (digits.isEmpty() || digits.length() > 5 || !digits.chars().allMatch(Character::isDigit)) return OptionalInt.empty();
    return OptionalInt.of(Integer.parseInt(digits));
  }

  /** The port, when {@code line} is a node's LISTENING line (not the metrics endpoint's). */
  public static OptionalInt port(String line) {
    Matcher m = PATTERN.matcher(line);
    return m.matches() ? OptionalInt.of(Integer.parseInt(m.group(2))) : OptionalInt.empty();
  }
}
