package io.dbmmigrate.source.transport;

/** A "HOST:PORT" endpoint ("[::1]:PORT" for IPv6 literals). */
public record HostPort(String host, int port) {
  public HostPort {
    if (host == null || host.isBlank()) throw new IllegalArgumentException("host missing");
    if (port < 1 || port > 65535) throw new IllegalArgumentException("port must be 1..65535, not " + port);
  }

  public static HostPort parse(String s) {
    if (s == null) throw new IllegalArgumentException("expected HOST:PORT");
    String v = s.trim();
    int colon = v.lastIndexOf(':');
    if (colon <= 0 || colon == v.length() - 1)
      throw new IllegalArgumentException("expected HOST:PORT, not '" + s + "'");
    String host = v.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
    int port;
    try {
      port = Integer.parseInt(v.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("expected HOST:PORT with a numeric port, not '" + s + "'");
    }
    return new HostPort(host, port);
  }

  @Override
  public String toString() {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }
}
