package io.dbmmigrate.net.tls;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;

/**
 * The transport-security decision of a node, from its options: mutual TLS when certificate files
 * are given; plaintext when asked for explicitly; and without either, plaintext only when the
 * endpoint is a loopback address (127.0.0.0/8, ::1, "localhost"), where no other host can listen
 * in. Anything else is refused with a message that says what to pass.
 *
 * <p>Why loopback is the default exception: the single-host quick start and the tests run both
 * processes on one machine, and traffic that never leaves the host is as private as the
 * processes' memory; a node bound to a routable address without TLS, on the other hand, would
 * accept a VM from anyone who can reach it, so that needs {@code --plaintext} spelled out.
 */
public final class TransportSecurity {
  private TransportSecurity() {}

  /** What a node will do. */
  public enum Mode {
    MUTUAL_TLS,
    PLAINTEXT_EXPLICIT,
    PLAINTEXT_LOOPBACK
  }

  /**
   * Decides, or throws IllegalArgumentException with a user-facing message.
   *
   * @param files the TLS files, or null when none was given
   * @param partialFiles true when some but not all of cert/key/CA were given
   * @param plaintext --plaintext was given
   * @param host the bind address (server) or the target host (client)
   * @param role "listen on" or "connect to", for the message
   */
  public static Mode decide(TlsFiles files, boolean partialFiles, boolean plaintext, String host, String role) {
    if (partialFiles)
      throw new IllegalArgumentException("--tls-cert, --tls-key and --tls-ca must be given together");
    if (files != null && plaintext)
      throw new IllegalArgumentException("--plaintext contradicts --tls-cert/--tls-key/--tls-ca; give one or the other");
    if (files != null) {
      files.checkReadable();
      return Mode.MUTUAL_TLS;
    }
    if (plaintext) return Mode.PLAINTEXT_EXPLICIT;
    if (isLoopback(host)) return Mode.PLAINTEXT_LOOPBACK;
    throw new IllegalArgumentException(
        "refusing to " + role + " " + host + " without TLS: give --tls-cert, --tls-key and --tls-ca"
            + " (mutual TLS), or --plaintext to accept an unauthenticated, unencrypted connection;"
            + " plaintext is the default only on loopback addresses");
  }

  /** True for loopback literals and "localhost"; never resolves other names (no DNS lookup). */
  public static boolean isLoopback(String host) {
    if (host == null) return false;
    String h = host.trim().toLowerCase(Locale.ROOT);
    if (h.startsWith("[") && h.endsWith("]")) h = h.substring(1, h.length() - 1);
    if (h.equals("localhost")) return true;
    if (!h.matches("[0-9.]+") && !h.contains(":")) return false; // a name: do not resolve it
    try {
      return InetAddress.getByName(h).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
