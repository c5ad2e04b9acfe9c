package io.dbmmigrate.net.tls;

import java.nio.file.Files;
import java.nio.file.Path;

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

  /** Throws IllegalArgumentException naming the first file that is missing or unreadable. */
  public void checkReadable() {
    for (Path p : new Path[] {certChain, privateKey, trustedCa})
      if (!Files.isRegularFile(p) || !Files.isReadable(p))
        throw new IllegalArgumentException("TLS file " + p + " does not exist or is not readable");
  }
}
