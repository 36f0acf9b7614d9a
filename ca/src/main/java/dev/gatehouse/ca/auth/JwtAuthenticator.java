package dev.gatehouse.ca.auth;

import dev.gatehouse.ca.spiffe.SpiffeId;
import java.security.GeneralSecurityException;
import java.security.Signature;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Validates projected service-account tokens locally against the issuer's keys (JWKS), with no API call: the
 * signature (ES256 or RS256 only; {@code none} and HMAC are refused), {@code iss}, {@code aud} (one of the
 * configured audiences), {@code exp} (required) and {@code nbf} with a small clock skew, and a subject of the form
 * {@code system:serviceaccount:<ns>:<sa>}. Used for the cluster's OIDC issuer and, in file mode, for tokens minted
 * by {@link LocalTokenIssuer}. A token that verified is remembered until its {@code exp} (at most 5 minutes, bounded
 * LRU), so an agent's repeated CSRs cost one signature check. Thread-safe; the key set is re-read per verification so
 * it can be refreshed.
 */
public final class JwtAuthenticator implements CallerAuthenticator {
  public static final String NAME = "jwt";

  private final Supplier<JsonWebKeySet> keys;
  private final String issuer;
  private final List<String> audiences;
  private final String trustDomain;
  private final Clock clock;
  private final Duration clockSkew;
  private final VerifiedTokenCache verified;

  public JwtAuthenticator(
      Supplier<JsonWebKeySet> keys, String issuer, List<String> audiences, String trustDomain, Clock clock, Duration clockSkew) {
    this.keys = Objects.requireNonNull(keys, "keys");
    this.issuer = Objects.requireNonNull(issuer, "issuer");
    this.audiences = List.copyOf(audiences);
    this.trustDomain = Objects.requireNonNull(trustDomain, "trustDomain");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.clockSkew = Objects.requireNonNull(clockSkew, "clockSkew");
    this.verified = new VerifiedTokenCache(clock, 10_000, Duration.ofMinutes(5));
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public AuthenticationResult authenticate(AuthenticationRequest request) {
    if (request.bearerToken().isEmpty()) {
      return new AuthenticationResult.NotApplicable(NAME);
    }
    String token = request.bearerToken().get();
    Optional<CallerIdentity> cached = verified.get(token);
    if (cached.isPresent()) {
      return AuthenticationResult.authenticated(cached.get());
    }
    JsonWebToken jwt;
    try {
      jwt = JsonWebToken.parse(token);
    } catch (IllegalArgumentException e) {
      return reject(e.getMessage());
    }
    String alg = jwt.headerString("alg").orElse("");
    if (!alg.equals("ES256") && !alg.equals("RS256")) {
      return reject("token algorithm \"" + alg + "\" is not ES256 or RS256");
    }
    JsonWebKeySet keySet = keys.get();
    if (keySet == null) {
      return new AuthenticationResult.Unavailable(NAME, "issuer keys not loaded");
    }
    if (!verifiesWithAnyKey(jwt, keySet.candidates(jwt.headerString("kid").orElse(""), alg), alg)) {
      return reject("token signature does not verify with the issuer's keys");
    }
    if (!jwt.stringClaim("iss").map(issuer::equals).orElse(false)) {
      return reject("token issuer is not " + issuer);
    }
    if (jwt.audiences().stream().noneMatch(audiences::contains)) {
      return reject("token audience " + jwt.audiences() + " is not one of " + audiences);
    }
    Instant now = clock.instant();
    Optional<Long> exp = jwt.numericClaim("exp");
    if (exp.isEmpty()) {
      return reject("token has no expiry");
    }
    if (!now.isBefore(Instant.ofEpochSecond(exp.get()).plus(clockSkew))) {
      return reject("token has expired");
    }
    Optional<Long> nbf = jwt.numericClaim("nbf");
    if (nbf.isPresent() && now.plus(clockSkew).isBefore(Instant.ofEpochSecond(nbf.get()))) {
      return reject("token is not valid yet");
    }
    String subject = jwt.stringClaim("sub").orElse("");
    Optional<SpiffeId> id = ServiceAccountUser.toSpiffeId(subject, trustDomain);
    if (id.isEmpty()) {
      return reject("token subject " + subject + " is not a service account");
    }
    CallerIdentity identity = new CallerIdentity(id.get(), NAME);
    // Cached until exp + skew, the bound the expiry check above applies, so caching never extends a token's life.
    verified.put(token, identity, Optional.of(Instant.ofEpochSecond(exp.get()).plus(clockSkew)));
    return AuthenticationResult.authenticated(identity);
  }

  private AuthenticationResult reject(String reason) {
    return new AuthenticationResult.Rejected(NAME, reason);
  }

  private static boolean verifiesWithAnyKey(JsonWebToken jwt, List<JsonWebKeySet.Key> candidates, String alg) {
    for (JsonWebKeySet.Key key : candidates) {
      try {
        Signature verifier = Signature.getInstance(alg.equals("ES256") ? "SHA256withECDSAinP1363Format" : "SHA256withRSA");
        verifier.initVerify(key.publicKey());
        verifier.update(jwt.signingInput());
        if (verifier.verify(jwt.signature())) {
          return true;
        }
      } catch (GeneralSecurityException | RuntimeException e) {
        // A key that cannot verify this token is simply not the right key.
      }
    }
    return false;
  }
}
