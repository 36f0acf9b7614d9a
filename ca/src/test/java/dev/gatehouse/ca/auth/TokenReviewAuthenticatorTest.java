package dev.gatehouse.ca.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.ca.MutableClock;
import dev.gatehouse.ca.TestPki;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class TokenReviewAuthenticatorTest {
  private final MutableClock clock = MutableClock.startingNow();
  private final LocalTokenIssuer issuer = new LocalTokenIssuer(TestPki.ecP256(), "https://kubernetes.default.svc");
  private final List<List<String>> requestedAudiences = new ArrayList<>();
  private final AtomicInteger reviews = new AtomicInteger();

  /** Answers like the API server for a service account token; records what it was asked. */
  private TokenReviewer serviceAccountReviewer(String user) {
    return (token, audiences) -> {
      reviews.incrementAndGet();
      requestedAudiences.add(audiences);
      return new TokenReview(true, user, List.of("system:serviceaccounts", "system:serviceaccounts:shop", "system:authenticated"),
          audiences, "");
    };
  }

  private TokenReviewAuthenticator authenticator(TokenReviewer reviewer) {
    return new TokenReviewAuthenticator(reviewer, List.of("istio-ca"), "cluster.local", clock, 100, Duration.ofHours(1));
  }

  private String token(Duration ttl) {
    return issuer.mint("shop", "cart", List.of("istio-ca"), clock.instant(), ttl);
  }

  @Test
  void authenticatedServiceAccountBecomesItsSpiffeIdentity() {
    AuthenticationResult result = authenticator(serviceAccountReviewer("system:serviceaccount:shop:cart"))
        .authenticate(AuthenticationRequest.ofToken(token(Duration.ofHours(1))));
    assertThat(result).isInstanceOfSatisfying(AuthenticationResult.Authenticated.class, a -> {
      assertThat(a.identity().spiffeId().toString()).isEqualTo("spiffe://cluster.local/ns/shop/sa/cart");
      assertThat(a.identity().authenticator()).isEqualTo("token-review");
    });
    assertThat(requestedAudiences).containsExactly(List.of("istio-ca"));
  }

  @Test
  void successfulReviewIsCachedUntilTheTokenExpires() {
    TokenReviewAuthenticator authenticator = authenticator(serviceAccountReviewer("system:serviceaccount:shop:cart"));
    AuthenticationRequest request = AuthenticationRequest.ofToken(token(Duration.ofMinutes(10)));
    for (int i = 0; i < 50; i++) {
      assertThat(authenticator.authenticate(request)).isInstanceOf(AuthenticationResult.Authenticated.class);
    }
    assertThat(reviews).hasValue(1);
    clock.advance(Duration.ofMinutes(10));
    authenticator.authenticate(request);
    assertThat(reviews).hasValue(2);
  }

  @Test
  void cacheIsBounded() {
    TokenReviewAuthenticator authenticator = new TokenReviewAuthenticator(
        serviceAccountReviewer("system:serviceaccount:shop:cart"), List.of("istio-ca"), "cluster.local", clock, 10, Duration.ofHours(1));
    for (int i = 0; i < 30; i++) {
      authenticator.authenticate(AuthenticationRequest.ofToken(issuer.mint("shop", "cart", List.of("istio-ca"), clock.instant(),
          Duration.ofMinutes(10 + i))));
    }
    assertThat(authenticator.cachedReviews()).isEqualTo(10);
  }

  @Test
  void unauthenticatedReviewIsRejectedAndNotCached() {
    TokenReviewer says = (token, audiences) -> {
      reviews.incrementAndGet();
      return TokenReview.unauthenticated("[invalid bearer token, token has expired]");
    };
    TokenReviewAuthenticator authenticator = authenticator(says);
    AuthenticationRequest request = AuthenticationRequest.ofToken(token(Duration.ofHours(1)));
    assertThat(authenticator.authenticate(request)).isInstanceOfSatisfying(AuthenticationResult.Rejected.class,
        r -> assertThat(r.reason()).contains("token has expired"));
    authenticator.authenticate(request);
    assertThat(reviews).hasValue(2);
  }

  @Test
  void nonServiceAccountUsersAreRejected() {
    TokenReviewer user = (token, audiences) ->
        new TokenReview(true, "alice@example.com", List.of("system:serviceaccounts"), audiences, "");
    assertThat(authenticator(user).authenticate(AuthenticationRequest.ofToken(token(Duration.ofHours(1)))))
        .isInstanceOfSatisfying(AuthenticationResult.Rejected.class, r -> assertThat(r.reason()).contains("not a service account"));
  }

  @Test
  void reviewOutsideTheServiceAccountsGroupIsRejected() {
    TokenReviewer noGroup = (token, audiences) ->
        new TokenReview(true, "system:serviceaccount:shop:cart", List.of("system:authenticated"), audiences, "");
    assertThat(authenticator(noGroup).authenticate(AuthenticationRequest.ofToken(token(Duration.ofHours(1)))))
        .isInstanceOf(AuthenticationResult.Rejected.class);
  }

  @Test
  void reviewForOtherAudiencesIsRejected() {
    TokenReviewer otherAudience = (token, audiences) ->
        new TokenReview(true, "system:serviceaccount:shop:cart", List.of("system:serviceaccounts"), List.of("https://kubernetes.default.svc"), "");
    assertThat(authenticator(otherAudience).authenticate(AuthenticationRequest.ofToken(token(Duration.ofHours(1)))))
        .isInstanceOfSatisfying(AuthenticationResult.Rejected.class, r -> assertThat(r.reason()).contains("audiences"));
  }

  @Test
  void apiServerDownIsUnavailableNotRejected() {
    TokenReviewer down = (token, audiences) -> {
      throw new TokenReviewer.UnavailableException("connection refused", null);
    };
    assertThat(authenticator(down).authenticate(AuthenticationRequest.ofToken(token(Duration.ofHours(1)))))
        .isInstanceOf(AuthenticationResult.Unavailable.class);
  }

  @Test
  void noTokenIsNotApplicable() {
    assertThat(authenticator(serviceAccountReviewer("x")).authenticate(AuthenticationRequest.none()))
        .isInstanceOf(AuthenticationResult.NotApplicable.class);
    assertThat(reviews).hasValue(0);
  }
}
