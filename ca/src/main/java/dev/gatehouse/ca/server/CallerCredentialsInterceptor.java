package dev.gatehouse.ca.server;

import dev.gatehouse.ca.auth.AuthenticationRequest;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Collects what a caller presented — the TLS client certificate chain the handshake verified, the
 * {@code authorization: Bearer} token and Istio's {@code ClusterID} header — into {@link CallerCredentials} for the
 * services behind it. It authenticates nothing itself. Stateless and thread-safe.
 */
public final class CallerCredentialsInterceptor implements ServerInterceptor {
  static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> CLUSTER_ID = Metadata.Key.of("clusterid", Metadata.ASCII_STRING_MARSHALLER);
  private static final String BEARER = "bearer ";

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    AuthenticationRequest request = new AuthenticationRequest(
        peerChain(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION)),
        bearerToken(headers.get(AUTHORIZATION)),
        Optional.ofNullable(headers.get(CLUSTER_ID)));
    Context context = CallerCredentials.attach(Context.current(), request);
    return Contexts.interceptCall(context, call, headers, next);
  }

  static Optional<String> bearerToken(String authorization) {
    if (authorization == null || authorization.length() <= BEARER.length()
        || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      return Optional.empty();
    }
    return Optional.of(authorization.substring(BEARER.length()).trim());
  }

  private static List<X509Certificate> peerChain(SSLSession session) {
    if (session == null) {
      return List.of();
    }
    try {
      List<X509Certificate> chain = new ArrayList<>();
      for (Certificate certificate : session.getPeerCertificates()) {
        if (certificate instanceof X509Certificate x509) {
          chain.add(x509);
        }
      }
      return chain;
    } catch (SSLPeerUnverifiedException e) {
      return List.of();
    }
  }
}
