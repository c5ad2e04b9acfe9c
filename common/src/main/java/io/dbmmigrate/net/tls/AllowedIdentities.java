package io.dbmmigrate.net.tls;

import java.util.List;
import java.util.Locale;

/**
 * The peer identities an authorization rule accepts. Each rule is one of:
 *
 * <ul>
 *   <li>{@code cn:NAME} — the certificate's subject common name equals NAME;
 *   <li>{@code uri:URI} — one of its URI subject alternative names equals URI (e.g. {@code
 *       uri:spiffe://dbm-migrate/source});
 *   <li>{@code dns:NAME} — one of its DNS subject alternative names equals NAME;
 *   <li>{@code NAME} without a prefix — the CN or any URI SAN equals NAME;
 *   <li>{@code *} — any peer whose certificate chains to the trusted CA (the CA is then the whole
 *       trust boundary; must be asked for explicitly).
 * </ul>
 *
 * Comparison is exact and case-sensitive (except the prefixes); no wildcards inside names.
 */
public final class AllowedIdentities {
  private final List<String> rules;

  private AllowedIdentities(List<String> rules) {
    this.rules = rules;
  }

  /**
   * Parses the rules.
   *
   * @throws IllegalArgumentException on an empty list, an empty rule or an empty name after a
   *     prefix
   */
  public static AllowedIdentities parse(List<String> rules) {
    if (rules == null || rules.isEmpty())
      throw new IllegalArgumentException("no allowed identity given");
    for (String r : rules) {
      if (r == null || r.isBlank()) throw new IllegalArgumentException("empty allowed identity");
      String p = prefix(r);
      if (p != null && r.length() == p.length())
        throw new IllegalArgumentException("allowed identity '" + r + "' has no name after the prefix");
    }
    return new AllowedIdentities(List.copyOf(rules));
  }

  private static String prefix(String rule) {
    String lower = rule.toLowerCase(Locale.ROOT);
    for (String p : new String[] {"cn:", "uri:", "dns:"}) if (lower.startsWith(p)) return p;
    return null;
  }

  /** True when the identity satisfies at least one rule. */
  public boolean permits(PeerIdentity id) {
    for (String r : rules) {
      if (r.equals("*")) return true;
      String p = prefix(r);
      String name = p == null ? r : r.substring(p.length());
      if (p == null) {
        if (name.equals(id.commonName()) || id.uris().contains(name)) return true;
      } else if (p.equals("cn:")) {
        if (name.equals(id.commonName())) return true;
      } else if (p.equals("uri:")) {
        if (id.uris().contains(name)) return true;
      } else if (id.dnsNames().contains(name)) {
        return true;
      }
    }
    return false;
  }

  public List<String> rules() {
    return rules;
  }

  @Override
  public String toString() {
    return String.join(", ", rules);
  }
}
