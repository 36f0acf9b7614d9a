package dev.gatehouse.xds.server;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts the {@link StreamCaller} of each xDS call into the gRPC {@link Context}, where the stream callbacks read it when
 * the stream opens. A call without a TLS session is plaintext; on TLS the client certificate's SPIFFE URI SAN wins, and
 * a bearer service-account token is the fallback (istiod accepts both on 15012). A caller already put into the Context
 * by an outer interceptor of the same server (server-side code only; never from the wire) is kept. A TLS caller that
 * no authenticator accepts is refused here with {@code UNAUTHENTICATED}. Thread-safe.
 */
public final class XdsCallerInterceptor implements ServerInterceptor {
  private static final Logger log = LoggerFactory.getLogger(XdsCallerInterceptor.class);
  static final Context.Key<StreamCaller> CALLER = Context.key("gatehouse-xds-caller");
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final XdsCallerAuthenticator authenticator;

  public XdsCallerInterceptor(XdsCallerAuthenticator authenticator) {
    this.authenticator = authenticator;
  }

  /** The caller of the current call, or plaintext when no interceptor ran (in-process tests). */
  static StreamCaller current() {
    StreamCaller c = CALLER.get();
    return c == null ? StreamCaller.plaintext() : c;
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    StreamCaller caller = CALLER.get();
    if (caller == null) {
      SSLSession tls = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
      caller = tls == null ? StreamCaller.plaintext() : authenticate(tls, headers);
    }
    if (caller.secure() && caller.identity().isEmpty()) {
      // Refuse before a discovery stream exists (fail closed, one log line; the stream callbacks check again).
      log.warn("xDS call {} refused: {}", call.getMethodDescriptor().getFullMethodName(), caller);
      call.close(Status.UNAUTHENTICATED.withDescription("xDS caller not authenticated: " + caller.failure()), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    return Contexts.interceptCall(Context.current().withValue(CALLER, caller), call, headers, next);
  }

  private StreamCaller authenticate(SSLSession tls, Metadata headers) {
    List<X509Certificate> chain = new ArrayList<>();
    try {
      for (Certificate c : tls.getPeerCertificates()) {
        if (c instanceof X509Certificate x) {
          chain.add(x);
        }
      }
    } catch (SSLPeerUnverifiedException e) {
      // no client certificate: a token may still authenticate the caller
    }
    String auth = headers.get(AUTHORIZATION);
    Optional<String> token = auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)
        ? Optional.of(auth.substring(7).trim()) : Optional.empty();
    try {
      StreamCaller caller = authenticator.authenticate(List.copyOf(chain), token);
      return caller.secure() ? caller : StreamCaller.unauthenticated("authenticator returned a plaintext caller");
    } catch (RuntimeException e) {
      // Fail closed: a broken authenticator authenticates no one.
      return StreamCaller.unauthenticated("authenticator error: " + e.getClass().getSimpleName());
    }
  }

  static Optional<CallerIdentity> spiffeId(X509Certificate cert) {
    try {
      Collection<List<?>> sans = cert.getSubjectAlternativeNames();
      if (sans == null) {
        return Optional.empty();
      }
      for (List<?> san : sans) {
        // GeneralName type 6 = uniformResourceIdentifier (RFC 5280)
        if (san.size() >= 2 && Integer.valueOf(6).equals(san.get(0))) {
          Optional<CallerIdentity> id = CallerIdentity.fromSpiffeId(String.valueOf(san.get(1)));
          if (id.isPresent()) {
            return id;
          }
        }
      }
      return Optional.empty();
    } catch (CertificateParsingException e) {
      return Optional.empty();
    }
  }
}
