package dev.gatehouse.ca.auth;

import dev.gatehouse.ca.spiffe.SpiffeId;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Istio's KubeJWTAuthenticator (security/pkg/server/ca/authenticate/kubeauth/kube_jwt.go): the bearer token goes to
 * a Kubernetes TokenReview with the configured audiences (default {@code istio-ca}); the review must be
 * authenticated, in group {@code system:serviceaccounts}, for a user {@code system:serviceaccount:<ns>:<sa>}.
 *
 * <p>Successful reviews are cached until the token's own {@code exp}, but never longer than {@code maxCacheTtl} (so a
 * bound token the API server invalidated stops working within that time), in a bounded LRU, so a CSR storm does not
 * become a TokenReview storm. Failures are never cached. Thread-safe.
 */
public final class TokenReviewAuthenticator implements CallerAuthenticator {
  public static final String NAME = "token-review";
  private static final String SERVICE_ACCOUNTS_GROUP = "system:serviceaccounts";

  private final TokenReviewer reviewer;
  private final List<String> audiences;
  private final String trustDomain;
  private final Clock clock;
  private final VerifiedTokenCache cache;

  public TokenReviewAuthenticator(
      TokenReviewer reviewer, List<String> audiences, String trustDomain, Clock clock, int maxCacheEntries, Duration maxCacheTtl) {
    this.reviewer = Objects.requireNonNull(reviewer, "reviewer");
    this.audiences = List.copyOf(audiences);
    this.trustDomain = Objects.requireNonNull(trustDomain, "trustDomain");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.cache = new VerifiedTokenCache(clock, maxCacheEntries, Objects.requireNonNull(maxCacheTtl, "maxCacheTtl"));
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public AuthenticationResult authenticate(AuthenticationRequest request) {
    Optional<String> token = request.bearerToken();
    if (token.isEmpty()) {
      return new AuthenticationResult.NotApplicable(NAME);
    }
    if (token.get().length() > JwtAuthenticator.MAX_TOKEN_LENGTH) {
      return new AuthenticationResult.Rejected(NAME, "token too large");
    }
    Optional<CallerIdentity> cached = cache.get(token.get());
    if (cached.isPresent()) {
      return AuthenticationResult.authenticated(cached.get());
    }
    TokenReview review;
    try {
      review = reviewer.review(token.get(), audiences);
    } catch (TokenReviewer.UnavailableException e) {
      return new AuthenticationResult.Unavailable(NAME, "TokenReview unavailable: " + e.getMessage());
    }
    if (!review.authenticated()) {
      return new AuthenticationResult.Rejected(NAME, "token not authenticated by the API server"
          + (review.error().isEmpty() ? "" : ": " + review.error()));
    }
    if (!audiences.isEmpty() && review.audiences().stream().noneMatch(audiences::contains)) {
      return new AuthenticationResult.Rejected(NAME, "token is not valid for audiences " + audiences);
    }
    if (!review.groups().contains(SERVICE_ACCOUNTS_GROUP)) {
      return new AuthenticationResult.Rejected(NAME, "token user is not in group " + SERVICE_ACCOUNTS_GROUP);
    }
    Optional<SpiffeId> id = ServiceAccountUser.toSpiffeId(review.userName(), trustDomain);
    if (id.isEmpty()) {
      return new AuthenticationResult.Rejected(NAME, "token user " + review.userName() + " is not a service account");
    }
    CallerIdentity identity = new CallerIdentity(id.get(), NAME);
    cache.put(token.get(), identity, VerifiedTokenCache.unverifiedExpiry(token.get()));
    return AuthenticationResult.authenticated(identity);
  }

  /** Number of cached reviews; for tests and metrics. */
  public int cachedReviews() {
    return cache.size();
  }
}
