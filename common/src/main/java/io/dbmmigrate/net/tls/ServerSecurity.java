package io.dbmmigrate.net.tls;

import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A node server's transport security and authorization, decided once from its options, for both
 * node CLIs (dest-node and source-node serve): credentials by the {@link TransportSecurity} rule,
 * plus a {@link PeerAuthorizationInterceptor} per protected service.
 *
 * <p>Rules: with mutual TLS, the identities allowed to send VMs (MigrationTarget) must be named
 * ({@code '*'} names every certificate from the CA); over plaintext no identity can be checked, so
 * naming one is an error rather than a false sense of security.
 *
 * @param mode what the server does
 * @param credentials for {@code GrpcServers.Settings}
 * @param interceptors for {@code GrpcServers.Settings}
 */
public record ServerSecurity(
    TransportSecurity.Mode mode, ServerCredentials credentials, List<ServerInterceptor> interceptors) {
  public static final String MIGRATION_CONTROL_SERVICE = "dbm.migrate.v1.MigrationControl";

  /**
   * Decides, or throws IllegalArgumentException with a user-facing message.
   *
   * @param allowedSources identities that may call MigrationTarget (required with mutual TLS)
   * @param allowedControllers identities that may call MigrationControl (empty: any peer the
   *     transport admits; only meaningful with mutual TLS)
   */
  public static ServerSecurity decide(
      TlsOptions tls, String bindAddress, List<String> allowedSources, List<String> allowedControllers) {
    TransportSecurity.Mode mode = tls.serverMode(bindAddress);
    List<ServerInterceptor> interceptors = new ArrayList<>();
    if (mode == TransportSecurity.Mode.MUTUAL_TLS) {
      if (allowedSources.isEmpty())
        throw new IllegalArgumentException(
            "--allowed-source is required with mutual TLS (e.g. --allowed-source cn:source-node;"
                + " '*' admits any certificate from the CA)");
      interceptors.add(PeerAuthorizationInterceptor.forMigrationTarget(AllowedIdentities.parse(allowedSources)));
      if (!allowedControllers.isEmpty())
        interceptors.add(new PeerAuthorizationInterceptor(
            AllowedIdentities.parse(allowedControllers), Set.of(MIGRATION_CONTROL_SERVICE)));
    } else if (!allowedSources.isEmpty() || !allowedControllers.isEmpty()) {
      throw new IllegalArgumentException(
          "--allowed-source/--allowed-controller need mutual TLS (--tls-cert, --tls-key, --tls-ca):"
              + " over plaintext no identity can be checked");
    }
    return new ServerSecurity(mode, tls.serverCredentials(bindAddress), List.copyOf(interceptors));
  }
}
