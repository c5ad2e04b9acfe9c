package io.dbmmigrate.net.tls;

import io.grpc.ChannelCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * gRPC transport credentials for mutual TLS from PEM files. Both sides present a certificate and
 * verify the peer's against the trusted CA; the client also checks that the server's certificate
 * names the host it dialled (SAN DNS or IP), as TLS clients do.
 *
 * <p>Failures show up as: a client without a certificate or with one from another CA → the
 * handshake fails and the client sees {@code UNAVAILABLE} (classify by cause; do not retry); a
 * plaintext client against a TLS server → {@code UNAVAILABLE}; an authenticated but not authorized
 * peer → {@code PERMISSION_DENIED} from {@link PeerAuthorizationInterceptor}.
 */
public final class TlsCredentials {
  private TlsCredentials() {}

  /** Server side: presents certChain/privateKey, requires and verifies a client certificate. */
  public static ServerCredentials mutualTlsServer(TlsFiles files) {
    files.checkReadable();
    try {
      return TlsServerCredentials.newBuilder()
          .keyManager(files.certChain().toFile(), files.privateKey().toFile())
          .trustManager(files.trustedCa().toFile())
          .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE)
          .build();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot load TLS server credentials: " + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("cannot load TLS server credentials: " + e.getMessage(), e);
    }
  }

  /** Client side: presents certChain/privateKey, verifies the server against trustedCa. */
  public static ChannelCredentials mutualTlsChannel(TlsFiles files) {
    files.checkReadable();
    try {
      return TlsChannelCredentials.newBuilder()
          .keyManager(files.certChain().toFile(), files.privateKey().toFile())
          .trustManager(files.trustedCa().toFile())
          .build();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot load TLS channel credentials: " + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("cannot load TLS channel credentials: " + e.getMessage(), e);
    }
  }

  /** Client side, server-authenticated only (no client certificate); for tests of the refusal. */
  public static ChannelCredentials serverAuthOnlyChannel(java.nio.file.Path trustedCa) {
    try {
      return TlsChannelCredentials.newBuilder().trustManager(trustedCa.toFile()).build();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot load the CA file: " + e.getMessage(), e);
    }
  }
}
