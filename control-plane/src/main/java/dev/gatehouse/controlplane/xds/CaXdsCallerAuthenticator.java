package dev.gatehouse.controlplane.xds;

import dev.gatehouse.ca.auth.AuthenticationRequest;
import dev.gatehouse.ca.auth.AuthenticationResult;
import dev.gatehouse.ca.auth.CallerAuthenticator;
import dev.gatehouse.xds.server.CallerIdentity;
import dev.gatehouse.xds.server.StreamCaller;
import dev.gatehouse.xds.server.XdsCallerAuthenticator;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;

/**
 * The CA's caller authenticators (client certificate SPIFFE ID, service-account JWT) used for xDS streams on the
 * secure port, as istiod shares one authenticator list between the CA and xDS. Thread-safe if the delegate is.
 */
final class CaXdsCallerAuthenticator implements XdsCallerAuthenticator {
  private final CallerAuthenticator delegate;

  CaXdsCallerAuthenticator(CallerAuthenticator delegate) {
    this.delegate = delegate;
  }

  @Override
  public StreamCaller authenticate(List<X509Certificate> peerChain, Optional<String> bearerToken) {
    AuthenticationResult r = delegate.authenticate(new AuthenticationRequest(peerChain, bearerToken, Optional.empty()));
    if (r instanceof AuthenticationResult.Authenticated a) {
      return StreamCaller.authenticated(new CallerIdentity(
          a.identity().spiffeId().trustDomain(), a.identity().namespace(), a.identity().serviceAccount()));
    }
    if (r instanceof AuthenticationResult.Rejected rej) {
      return StreamCaller.unauthenticated(rej.reason());
    }
    if (r instanceof AuthenticationResult.Unavailable u) {
      return StreamCaller.unauthenticated("authenticator unavailable: " + u.reason());
    }
    return StreamCaller.unauthenticated("no credentials");
  }
}
