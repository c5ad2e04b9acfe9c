package io.dbmmigrate.process;

import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one line a node prints on stdout once it accepts connections, {@code <ROLE>_LISTENING
 * port=<n>} (DEST, SOURCE, RELAY), and its parser. Scripts read the same line through {@code
 * deploy/lib.sh}'s {@code dbm_wait_listening}.
 */
public final class ListeningLine {
  /** Matches the line; group 1 is the role, group 2 the port. */
  public static final Pattern PATTERN = Pattern.compile("^([A-Z]+)_LISTENING port=(\\d+)$");

  private ListeningLine() {}

  /** The line for {@code role} (e.g. "DEST") listening on {@code port}. */
  public static String format(String role, int port) {
    return role + "_LISTENING port=" + port;
  }

  /** The port, when {@code line} is a LISTENING line. */
  public static OptionalInt port(String line) {
    Matcher m = PATTERN.matcher(line);
    return m.matches() ? OptionalInt.of(Integer.parseInt(m.group(2))) : OptionalInt.empty();
  }
}
