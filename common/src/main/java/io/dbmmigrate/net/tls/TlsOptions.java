package io.dbmmigrate.net.tls;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannelBuilder;
import io.grpc.ServerCredentials;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Transport-security options shared by both node CLIs (a picocli mixin: {@code @Mixin TlsOptions
 * tls;}) and the credentials they stand for. The rule ({@link TransportSecurity}): mutual TLS when
 * the three files are given, plaintext with {@code --plaintext}, and without either plaintext only
 * on a loopback address.
 *
 * <p>Methods throw {@link IllegalArgumentException} with a user-facing message on bad values; a
 * CLI turns it into a {@code ParameterException} so picocli prints it and exits with code 2.
 */
public final class TlsOptions {
  @Option(names = "--tls-cert", paramLabel = "PEM", description = "This node's certificate (PEM) for mutual TLS.")
  Path cert;

  @Option(names = "--tls-key", paramLabel = "PEM", description = "This node's private key (PKCS#8 PEM).")
  Path key;

  @Option(
      names = "--tls-ca",
      paramLabel = "PEM",
      description = "CA certificate(s) the peer's certificate must chain to; peers must present one.")
  Path ca;

  @Option(
      names = "--plaintext",
      description = "Use plaintext (no TLS, no peer authentication). Without TLS files plaintext is"
          + " otherwise allowed only on loopback addresses.")
  boolean plaintext;

  public TlsOptions() {}

  /** Options with the given values (for code that does not parse a command line). */
  public static TlsOptions of(TlsFiles files, boolean plaintext) {
    TlsOptions o = new TlsOptions();
    if (files != null) {
      o.cert = files.certChain();
      o.key = files.privateKey();
      o.ca = files.trustedCa();
    }
    o.plaintext = plaintext;
    return o;
  }

  /** The TLS files, or null when none was given. */
  public TlsFiles files() {
    return cert != null && key != null && ca != null ? new TlsFiles(cert, key, ca) : null;
  }

  private boolean partial() {
    int given = (cert != null ? 1 : 0) + (key != null ? 1 : 0) + (ca != null ? 1 : 0);
    return given > 0 && given < 3;
  }

  /** The mode for a server bound to bindAddress. */
  public TransportSecurity.Mode serverMode(String bindAddress) {
    return TransportSecurity.decide(files(), partial(), plaintext, bindAddress, "listen on");
  }

  /** The mode for a client connecting to host. */
  public TransportSecurity.Mode clientMode(String host) {
    return TransportSecurity.decide(files(), partial(), plaintext, host, "connect to");
  }

  /** Server credentials for a server bound to bindAddress (mutual TLS or plaintext by the rule). */
  public ServerCredentials serverCredentials(String bindAddress) {
    return serverMode(bindAddress) == TransportSecurity.Mode.MUTUAL_TLS
        ? TlsCredentials.mutualTlsServer(files())
        : InsecureServerCredentials.create();
  }

  /** Channel credentials for connecting to host (mutual TLS or plaintext by the rule). */
  public ChannelCredentials channelCredentials(String host) {
    return clientMode(host) == TransportSecurity.Mode.MUTUAL_TLS
        ? TlsCredentials.mutualTlsChannel(files())
        : InsecureChannelCredentials.create();
  }

  /**
   * A channel builder for "host:port" with these credentials; the caller adds its limits,
   * keepalive and deadlines.
   */
  public ManagedChannelBuilder<?> newChannelBuilder(String hostPort) {
    return Grpc.newChannelBuilder(hostPort, channelCredentials(hostOf(hostPort)));
  }

  /** The host part of "host:port" or "[v6]:port". */
  public static String hostOf(String hostPort) {
    if (hostPort.startsWith("[")) {
      int end = hostPort.indexOf(']');
      if (end > 0) return hostPort.substring(1, end);
    }
    int colon = hostPort.lastIndexOf(':');
    return colon > 0 ? hostPort.substring(0, colon) : hostPort;
  }
}
