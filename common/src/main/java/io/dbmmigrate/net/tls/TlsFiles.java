package io.dbmmigrate.net.tls;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;

/**
 * The PEM files of one node for mutual TLS.
 *
 * @param certChain the node's certificate (optionally followed by intermediates), PEM
 * @param privateKey the node's private key, PKCS#8 PEM ("BEGIN PRIVATE KEY")
 * @param trustedCa the CA certificate(s) that peers' certificates must chain to, PEM
 */
public record TlsFiles(Path certChain, Path privateKey, Path trustedCa) {
  public TlsFiles {
    if (certChain == null || privateKey == null || trustedCa == null)
      throw new IllegalArgumentException("certificate, key and CA files are all required for mutual TLS");
  }

  /**
   * Checks that the files exist and hold what they should (certificates; a PKCS#8 private key), so
   * that a wrong file is reported by name at start-up rather than deep inside the transport.
   *
   * @throws IllegalArgumentException naming the first file that is missing, unreadable or wrong
   */
  public void checkReadable() {
    for (Path p : new Path[] {certChain, privateKey, trustedCa})
      if (!Files.isRegularFile(p) || !Files.isReadable(p))
        throw new IllegalArgumentException("TLS file " + p + " does not exist or is not readable");
    checkCertificates(certChain, "--tls-cert");
    checkCertificates(trustedCa, "--tls-ca");
    checkPkcs8Key(privateKey);
  }

  private static void checkCertificates(Path file, String option) {
    try (InputStream in = Files.newInputStream(file)) {
      if (CertificateFactory.getInstance("X.509").generateCertificates(in).isEmpty())
        throw new IllegalArgumentException(option + " " + file + " holds no certificate");
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException(option + " " + file + " is not a PEM certificate file: " + e.getMessage());
    }
  }

  private static void checkPkcs8Key(Path file) {
    String pem;
    try {
      pem = Files.readString(file, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new IllegalArgumentException("--tls-key " + file + " cannot be read: " + e.getMessage());
    }
    String begin = "-----BEGIN PRIVATE KEY-----";
    int from = pem.indexOf(begin);
    int to = pem.indexOf("-----END PRIVATE KEY-----");
    if (from < 0 || to < from) {
      String hint = pem.contains("-----BEGIN") && pem.contains("PRIVATE KEY-----")
          ? " (an encrypted or PKCS#1/SEC1 key: convert it with 'openssl pkcs8 -topk8 -nocrypt')" : "";
      throw new IllegalArgumentException("--tls-key " + file + " is not an unencrypted PKCS#8 PEM private key" + hint);
    }
    byte[] der;
    try {
      der = Base64.getMimeDecoder().decode(pem.substring(from + begin.length(), to));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--tls-key " + file + " has a corrupt PEM body");
    }
    for (String alg : new String[] {"EC", "RSA", "Ed25519"}) {
      try {
        KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
        return;
      } catch (GeneralSecurityException | IllegalArgumentException e) {
        // try the next algorithm
      }
    }
    throw new IllegalArgumentException("--tls-key " + file + " holds no EC, RSA or Ed25519 private key");
  }
}
