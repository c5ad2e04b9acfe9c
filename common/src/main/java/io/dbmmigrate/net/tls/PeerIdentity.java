package io.dbmmigrate.net.tls;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * Who a peer is, as its (already verified) X.509 certificate says: the subject's common name and
 * the subject alternative names of type URI (e.g. a SPIFFE id) and DNS.
 *
 * @param commonName subject CN, or "" when the subject has none
 * @param uris SAN URIs
 * @param dnsNames SAN DNS names
 */
public record PeerIdentity(String commonName, List<String> uris, List<String> dnsNames) {
  private static final int SAN_DNS = 2;
  private static final int SAN_URI = 6;

  public PeerIdentity {
    uris = List.copyOf(uris);
    dnsNames = List.copyOf(dnsNames);
  }

  /** The identity in a certificate; the caller has verified the chain (the TLS handshake did). */
  public static PeerIdentity of(X509Certificate cert) {
    String cn = "";
    try {
      for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns())
        if (rdn.getType().equalsIgnoreCase("CN")) cn = String.valueOf(rdn.getValue());
    } catch (InvalidNameException e) {
      cn = "";
    }
    List<String> uris = new ArrayList<>();
    List<String> dns = new ArrayList<>();
    try {
      Collection<List<?>> sans = cert.getSubjectAlternativeNames();
      if (sans != null) {
        for (List<?> san : sans) {
          if (san.size() < 2 || !(san.get(0) instanceof Integer type)) continue;
          if (type == SAN_URI) uris.add(String.valueOf(san.get(1)));
          else if (type == SAN_DNS) dns.add(String.valueOf(san.get(1)));
        }
      }
    } catch (CertificateParsingException e) {
      // A certificate with unparseable SANs is identified by its CN alone.
    }
    return new PeerIdentity(cn, uris, dns);
  }

  /** For logs: "CN=x, URI=[..], DNS=[..]". */
  public String describe() {
    return "CN=" + commonName + (uris.isEmpty() ? "" : ", URI=" + uris) + (dnsNames.isEmpty() ? "" : ", DNS=" + dnsNames);
  }
}
