package dev.gatehouse.ca.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.EncryptedJWT;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimNames;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import com.nimbusds.jwt.proc.ExpiredJWTException;
import dev.gatehouse.ca.spiffe.SpiffeId;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Validates projected service-account tokens locally against the issuer's keys (JWKS), with no API call, using Nimbus
 * JOSE+JWT: the signature (ES256 or RS256 only; {@code none}, HMAC and encrypted tokens are refused, as are tokens
 * with {@code crit} header parameters), the key chosen by {@code kid} (every key of the algorithm when the token has
 * none), {@code iss}, {@code aud} (one of the configured audiences), {@code exp} (required) and {@code nbf} with the
 * configured clock skew, and a subject of the form {@code system:serviceaccount:<ns>:<sa>}. Used for the cluster's
 * OIDC issuer and, in file mode, for tokens minted by {@link LocalTokenIssuer}. A token that verified is remembered
 * until its {@code exp} (at most 5 minutes, bounded LRU), so an agent's repeated CSRs cost one signature check.
 * Thread-safe; the key set is read once per verification so it can be refreshed.
 */
public final class JwtAuthenticator implements CallerAuthenticator {
  public static final String NAME = "jwt";
  /** Kubernetes tokens are a few KiB; anything far larger is refused before it is parsed. */
  static final int MAX_TOKEN_LENGTH = 16 * 1024;
  private static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.ES256, JWSAlgorithm.RS256);

  private final Supplier<JsonWebKeySet> keys;
  private final String issuer;
  private final List<String> audiences;
  private final String trustDomain;
  private final Clock clock;
  private final Duration clockSkew;
  private final DefaultJWTProcessor<IssuerKeys> processor = new DefaultJWTProcessor<>();
  private final VerifiedTokenCache verified;

  /** Carries the key set read for one verification to the key selector, so one token sees one consistent set. */
  private record IssuerKeys(JsonWebKeySet keys) implements SecurityContext {}

  public JwtAuthenticator(
      Supplier<JsonWebKeySet> keys, String issuer, List<String> audiences, String trustDomain, Clock clock, Duration clockSkew) {
    this.keys = Objects.requireNonNull(keys, "keys");
    this.issuer = Objects.requireNonNull(issuer, "issuer");
    this.audiences = List.copyOf(audiences);
    this.trustDomain = Objects.requireNonNull(trustDomain, "trustDomain");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.clockSkew = Objects.requireNonNull(clockSkew, "clockSkew");
    this.verified = new VerifiedTokenCache(clock, 10_000, Duration.ofMinutes(5));
    processor.setJWSKeySelector(new JWSVerificationKeySelector<>(ALGORITHMS, (selector, context) -> selector.select(context.keys().jwkSet())));
    DefaultJWTClaimsVerifier<IssuerKeys> claims = new DefaultJWTClaimsVerifier<>(
        Set.copyOf(this.audiences),
        new JWTClaimsSet.Builder().issuer(issuer).build(),
        Set.of(JWTClaimNames.SUBJECT, JWTClaimNames.EXPIRATION_TIME),
        Set.of()) {
      @Override
      protected Date currentTime() {
        return Date.from(JwtAuthenticator.this.clock.instant());
      }
    };
    claims.setMaxClockSkew((int) Math.min(Integer.MAX_VALUE, clockSkew.toSeconds()));
    processor.setJWTClaimsSetVerifier(claims);
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
    if (token.length() > MAX_TOKEN_LENGTH) {
      return reject("token too large (" + token.length() + " characters; at most " + MAX_TOKEN_LENGTH + ")");
    }
    Optional<CallerIdentity> cached = verified.get(token);
    if (cached.isPresent()) {
      return AuthenticationResult.authenticated(cached.get());
    }
    JWT jwt;
    try {
      jwt = JWTParser.parse(token);
    } catch (ParseException e) {
      return reject("token is not a compact JWS: " + e.getMessage());
    }
    if (jwt instanceof PlainJWT) {
      return reject("token algorithm \"none\" is not ES256 or RS256");
    }
    if (jwt instanceof EncryptedJWT) {
      return reject("token is encrypted (JWE); only signed tokens (ES256 or RS256) are accepted");
    }
    SignedJWT signed = (SignedJWT) jwt;
    JWSHeader header = signed.getHeader();
    if (!ALGORITHMS.contains(header.getAlgorithm())) {
      return reject("token algorithm \"" + header.getAlgorithm() + "\" is not ES256 or RS256");
    }
    if (header.getCriticalParams() != null && !header.getCriticalParams().isEmpty()) {
      return reject("token has critical header parameters " + header.getCriticalParams() + " that are not supported");
    }
    JsonWebKeySet keySet = keys.get();
    if (keySet == null) {
      return new AuthenticationResult.Unavailable(NAME, "issuer keys not loaded");
    }
    JWTClaimsSet claims;
    try {
      claims = processor.process(signed, new IssuerKeys(keySet));
    } catch (BadJOSEException e) {
      return reject(reason(e, signed));
    } catch (JOSEException e) {
      return reject("token signature cannot be checked: " + e.getMessage());
    }
    String subject = Objects.requireNonNullElse(claims.getSubject(), "");
    Optional<SpiffeId> id = ServiceAccountUser.toSpiffeId(subject, trustDomain);
    if (id.isEmpty()) {
      return reject("token subject " + subject + " is not a service account");
    }
    CallerIdentity identity = new CallerIdentity(id.get(), NAME);
    // Cached until exp + skew, the bound the expiry check applies, so caching never extends a token's life.
    verified.put(token, identity, Optional.of(claims.getExpirationTime().toInstant().plus(clockSkew)));
    return AuthenticationResult.authenticated(identity);
  }

  private AuthenticationResult reject(String reason) {
    return new AuthenticationResult.Rejected(NAME, reason);
  }

  /**
   * Nimbus's refusal in Gatehouse's words (these reasons reach audit lines and the caller). The claims are read only
   * to word the message: signature failures are named before any claim is looked at.
   */
  private String reason(BadJOSEException e, SignedJWT token) {
    String message = Objects.requireNonNullElse(e.getMessage(), "");
    if (message.startsWith("Signed JWT rejected")) {
      String kid = token.getHeader().getKeyID();
      return "token signature does not verify with the issuer's keys"
          + (kid == null ? " (the token names no kid)" : " (kid " + kid + ")");
    }
    if (e instanceof ExpiredJWTException) {
      return "token has expired";
    }
    if (message.equals("JWT before use time")) {
      return "token is not valid yet";
    }
    if (message.startsWith("JWT iss claim")) {
      return "token issuer is not " + issuer;
    }
    if (message.contains("aud claim")) {
      return "token audience " + unverifiedAudience(token) + " is not one of " + audiences;
    }
    if (message.startsWith("JWT missing required claims")) {
      return "token lacks required claims: " + message.substring(message.indexOf(':') + 1).trim();
    }
    return "token rejected: " + message;
  }

  private static List<String> unverifiedAudience(SignedJWT token) {
    try {
      return token.getJWTClaimsSet().getAudience();
    } catch (ParseException e) {
      return List.of();
    }
  }
}
