package dev.gatehouse.ca.server;

import dev.gatehouse.ca.auth.AuthenticationRequest;
import dev.gatehouse.ca.auth.AuthenticationResult;
import dev.gatehouse.ca.auth.JwtAuthenticator;
import dev.gatehouse.ca.auth.LocalTokenIssuer;
import dev.gatehouse.ca.auth.TokenReview;
import dev.gatehouse.ca.auth.TokenReviewer;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * Answers TokenReviews the way kube-apiserver does for service-account tokens (signature, expiry, audience; the
 * status carries the user, its groups and the matching audiences), for tokens minted by {@code issuer}. Can be
 * switched "down" to simulate an unreachable API server.
 */
final class InMemoryApiServerTokenReviewer implements TokenReviewer {
  private final LocalTokenIssuer issuer;
  private final Clock clock;
  volatile boolean down;

  InMemoryApiServerTokenReviewer(LocalTokenIssuer issuer, Clock clock) {
    this.issuer = issuer;
    this.clock = clock;
  }

  @Override
  public TokenReview review(String token, List<String> audiences) throws UnavailableException {
    if (down) {
      throw new UnavailableException("connect to 127.0.0.1:6443 refused", null);
    }
    AuthenticationResult result = new JwtAuthenticator(issuer::keySet, issuer.issuer(), audiences, "cluster.local", clock, Duration.ZERO)
        .authenticate(AuthenticationRequest.ofToken(token));
    if (result instanceof AuthenticationResult.Authenticated a) {
      return new TokenReview(true, a.identity().spiffeId().kubernetesUserName(),
          List.of("system:serviceaccounts", "system:serviceaccounts:" + a.identity().namespace(), "system:authenticated"),
          audiences, "");
    }
    return TokenReview.unauthenticated("[invalid bearer token, " + ((AuthenticationResult.Rejected) result).reason() + "]");
  }
}
