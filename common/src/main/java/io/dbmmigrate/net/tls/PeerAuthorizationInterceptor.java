package io.dbmmigrate.net.tls;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Set;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Authorization by client certificate: calls to the protected services are admitted only when the
 * transport is TLS, the peer presented a certificate (verified by the handshake against the trusted
 * CA) and its identity satisfies {@link AllowedIdentities}; otherwise the call is closed with
 * {@code PERMISSION_DENIED} before the service sees it. Other services (health, reflection,
 * inspection) pass through untouched.
 *
 * <p>An admitted call carries the peer's identity in {@link #PEER_IDENTITY}, so that the service
 * logs the certificate's identity rather than what the peer claims in its messages.
 *
 * <p>Stateless after construction; safe for concurrent calls.
 */
public final class PeerAuthorizationInterceptor implements ServerInterceptor {
  private static final Logger log = LoggerFactory.getLogger(PeerAuthorizationInterceptor.class);

  /** The authenticated and authorized peer of the current call (null outside such calls). */
  public static final Context.Key<PeerIdentity> PEER_IDENTITY = Context.key("dbm-peer-identity");

  /** The destination's service that receives VMs: the one only a configured source may call. */
  public static final String MIGRATION_TARGET_SERVICE = "dbm.migrate.v1.MigrationTarget";

  private final AllowedIdentities allowed;
  private final Set<String> protectedServices;

  /**
   * @param allowed who may call
   * @param protectedServices full gRPC service names whose every method is protected
   */
  public PeerAuthorizationInterceptor(AllowedIdentities allowed, Set<String> protectedServices) {
    this.allowed = allowed;
    this.protectedServices = Set.copyOf(protectedServices);
  }

  /** Protects the MigrationTarget service: BeginSession, SendPages, Commit and Abort. */
  public static PeerAuthorizationInterceptor forMigrationTarget(AllowedIdentities allowed) {
    return new PeerAuthorizationInterceptor(allowed, Set.of(MIGRATION_TARGET_SERVICE));
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String service = call.getMethodDescriptor().getServiceName();
    if (service == null || !protectedServices.contains(service)) return next.startCall(call, headers);
    SSLSession ssl = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
    String refusal;
    PeerIdentity identity = null;
    if (ssl == null) {
      refusal = "this service requires mutual TLS; the connection is not TLS";
    } else {
      X509Certificate cert = peerCertificate(ssl);
      if (cert == null) {
        refusal = "no client certificate presented";
      } else {
        identity = PeerIdentity.of(cert);
        refusal = allowed.permits(identity) ? null
            : "peer " + identity.describe() + " is not an allowed source identity";
      }
    }
    if (refusal != null) {
      log.warn("refused {} from {}: {}", call.getMethodDescriptor().getFullMethodName(),
          call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR), refusal);
      call.close(Status.PERMISSION_DENIED.withDescription(refusal), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    Context ctx = Context.current().withValue(PEER_IDENTITY, identity);
    return Contexts.interceptCall(ctx, call, headers, next);
  }

  private static X509Certificate peerCertificate(SSLSession ssl) {
    try {
      Certificate[] chain = ssl.getPeerCertificates();
      return chain.length > 0 && chain[0] instanceof X509Certificate x ? x : null;
    } catch (SSLPeerUnverifiedException e) {
      return null;
    }
  }
}
