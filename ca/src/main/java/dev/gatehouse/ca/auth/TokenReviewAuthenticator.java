package dev.gatehouse.ca.auth;

import dev.gatehouse.ca.spiffe.SpiffeId;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
  private final int maxCacheEntries;
  private final Duration maxCacheTtl;
  // Guarded by itself; access-ordered for LRU eviction.
  private final LinkedHashMap<String, CachedReview> cache = new LinkedHashMap<>(64, 0.75f, true);

  private record CachedReview(CallerIdentity identity, Instant until) {}

  public TokenReviewAuthenticator(
      TokenReviewer reviewer, List<String> audiences, String trustDomain, Clock clock, int maxCacheEntries, Duration maxCacheTtl) {
    this.reviewer = Objects.requireNonNull(reviewer, "reviewer");
    this.audiences = List.copyOf(audiences);
    this.trustDomain = Objects.requireNonNull(trustDomain, "trustDomain");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.maxCacheEntries = maxCacheEntries;
    this.maxCacheTtl = Objects.requireNonNull(maxCacheTtl, "maxCacheTtl");
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
    if (token.get().length() > JsonWebToken.MAX_TOKEN_LENGTH) {
      return new AuthenticationResult.Rejected(NAME, "token too large");
    }
    String key = cacheKey(token.get());
    Instant now = clock.instant();
    CallerIdentity cached = lookup(key, now);
    if (cached != null) {
      return AuthenticationResult.authenticated(cached);
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
    remember(key, identity, cacheUntil(token.get(), now));
    return AuthenticationResult.authenticated(identity);
  }

  /** Number of cached reviews; for tests and metrics. */
  public int cachedReviews() {
    synchronized (cache) {
      return cache.size();
    }
  }

  private Instant cacheUntil(String token, Instant now) {
    Instant limit = now.plus(maxCacheTtl);
    try {
      Optional<Long> exp = JsonWebToken.parse(token).numericClaim("exp");
      if (exp.isPresent()) {
        Instant expiry = Instant.ofEpochSecond(exp.get());
        return expiry.isBefore(limit) ? expiry : limit;
      }
    } catch (IllegalArgumentException e) {
      // Opaque token the API server still accepted: fall through to the fixed bound.
    }
    return limit;
  }

  private CallerIdentity lookup(String key, Instant now) {
    synchronized (cache) {
      CachedReview entry = cache.get(key);
      if (entry == null) {
        return null;
      }
      if (!now.isBefore(entry.until())) {
        cache.remove(key);
        return null;
      }
      return entry.identity();
    }
  }

  private void remember(String key, CallerIdentity identity, Instant until) {
    if (maxCacheEntries <= 0 || !until.isAfter(clock.instant())) {
      return;
    }
    synchronized (cache) {
      cache.put(key, new CachedReview(identity, until));
      if (cache.size() > maxCacheEntries) {
        Instant now = clock.instant();
        cache.values().removeIf(e -> !now.isBefore(e.until()));
        Iterator<Map.Entry<String, CachedReview>> eldest = cache.entrySet().iterator();
        while (cache.size() > maxCacheEntries && eldest.hasNext()) {
          eldest.next();
          eldest.remove();
        }
      }
    }
  }

  // Tokens are credentials: only their digest is kept in memory.
  private static String cacheKey(String token) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
