package io.dbmmigrate.net.tls;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throw-away certificate authority for tests and development (BouncyCastle): a self-signed CA
 * and node certificates it signs, EC P-256 keys, written as PEM files that {@link TlsCredentials}
 * loads. Node certificates are valid for both TLS server and client authentication and name the
 * node by CN, by a SPIFFE-style URI SAN ({@code spiffe://dbm-migrate/<name>}) and by the loopback
 * names (DNS localhost, IP 127.0.0.1 and ::1) plus any extra DNS names given.
 *
 * <p>Not for production: keys are unencrypted files. Instances are immutable after construction
 * (the random source is injected; nothing static is mutable).
 */
public final class DevPki {
  /** A certificate and its private key. */
  public record Issued(X509Certificate certificate, PrivateKey key) {
    public void writeCertificate(Path file) {
      writePem(file, "CERTIFICATE", encoded(this));
    }

    public void writeKey(Path file) {
      writePem(file, "PRIVATE KEY", key.getEncoded()); // JCA encodes private keys as PKCS#8
    }

    private static byte[] encoded(Issued i) {
      try {
        return i.certificate.getEncoded();
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  public static final String URI_PREFIX = "spiffe://dbm-migrate/";

  private final SecureRandom random;
  private final Instant notBefore;
  private final Instant notAfter;
  private final Issued ca;
  private final X500Name caName;

  private DevPki(SecureRandom random, Instant now, Duration validity, String caCommonName) {
    this.random = random;
    this.notBefore = now.minus(Duration.ofHours(1));
    this.notAfter = now.plus(validity);
    this.caName = name(caCommonName);
    try {
      KeyPair kp = newKeyPair();
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(caName, serial(), Date.from(notBefore), Date.from(notAfter), caName, kp.getPublic())
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
              .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
              .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(kp.getPublic()));
      this.ca = new Issued(sign(b, kp.getPrivate()), kp.getPrivate());
    } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
      throw new IllegalStateException("cannot create the development CA", e);
    }
  }

  /** A new CA named caCommonName, valid from an hour before now for validity. */
  public static DevPki create(String caCommonName, SecureRandom random, Instant now, Duration validity) {
    return new DevPki(random, now, validity, caCommonName);
  }

  /** A new CA valid for 30 days from now, with a fresh SecureRandom. */
  public static DevPki create(String caCommonName) {
    return create(caCommonName, new SecureRandom(), Instant.now(), Duration.ofDays(30));
  }

  public Issued ca() {
    return ca;
  }

  /** A node certificate with CN=name, URI SAN spiffe://dbm-migrate/name and the loopback names. */
  public Issued issue(String name, String... extraDnsNames) {
    List<GeneralName> sans = new ArrayList<>();
    sans.add(new GeneralName(GeneralName.uniformResourceIdentifier, URI_PREFIX + name));
    sans.add(new GeneralName(GeneralName.dNSName, "localhost"));
    for (String d : extraDnsNames) sans.add(new GeneralName(GeneralName.dNSName, d));
    sans.add(new GeneralName(GeneralName.iPAddress, "127.0.0.1"));
    sans.add(new GeneralName(GeneralName.iPAddress, "::1"));
    try {
      KeyPair kp = newKeyPair();
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(caName, serial(), Date.from(notBefore), Date.from(notAfter), name(name), kp.getPublic())
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
              .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
              .addExtension(
                  Extension.extendedKeyUsage, false,
                  new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}))
              .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans.toArray(GeneralName[]::new)))
              .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(kp.getPublic()))
              .addExtension(
                  Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(ca.certificate()));
      return new Issued(sign(b, ca.key()), kp.getPrivate());
    } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
      throw new IllegalStateException("cannot issue a certificate for " + name, e);
    }
  }

  /**
   * Issues a node certificate and writes {@code <name>.pem}, {@code <name>-key.pem} and {@code
   * ca.pem} into dir.
   */
  public TlsFiles writeNode(Path dir, String name) {
    Issued node = issue(name);
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Path cert = dir.resolve(name + ".pem");
    Path key = dir.resolve(name + "-key.pem");
    Path caFile = dir.resolve("ca.pem");
    node.writeCertificate(cert);
    node.writeKey(key);
    ca.writeCertificate(caFile);
    return new TlsFiles(cert, key, caFile);
  }

  private KeyPair newKeyPair() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"), random);
    return g.generateKeyPair();
  }

  private BigInteger serial() {
    return new BigInteger(64, random).abs().add(BigInteger.ONE);
  }

  private static X500Name name(String cn) {
    return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "dbm-migrate dev").addRDN(BCStyle.CN, cn).build();
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey signer)
      throws OperatorCreationException, GeneralSecurityException {
    return new JcaX509CertificateConverter().getCertificate(
        b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer)));
  }

  private static void writePem(Path file, String type, byte[] der) {
    String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    String pem = "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
    try {
      Files.writeString(file, pem, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
