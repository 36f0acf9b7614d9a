package dev.gatehouse.ca.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSAEncrypter;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.EncryptedJWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.gatehouse.ca.MutableClock;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The attacks and malformed tokens a local JWT verifier must refuse, built with Nimbus as an attacker would build
 * them (the verifier under test is Nimbus too, so each case also pins Gatehouse's configuration of it: accepted
 * algorithms, key selection, critical headers, claim rules).
 */
class JwtAuthenticatorRefusalTest {
  private static final String ISSUER = "https://kubernetes.default.svc.cluster.local";
  private static final Duration SKEW = Duration.ofSeconds(30);
  private static final ECKey OLD = ec("old");
  private static final ECKey NEW = ec("new");
  private static final RSAKey RSA = rsa("rsa");

  private final MutableClock clock = MutableClock.startingNow();
  private final AtomicReference<JsonWebKeySet> keys = new AtomicReference<>(JsonWebKeySet.of(List.of(OLD, NEW, RSA)));
  private final JwtAuthenticator authenticator =
      new JwtAuthenticator(keys::get, ISSUER, List.of("istio-ca"), "cluster.local", clock, SKEW);

  private AuthenticationResult authenticate(String token) {
    return authenticator.authenticate(AuthenticationRequest.ofToken(token));
  }

  private static void assertRejected(AuthenticationResult result, String... reasons) {
    assertThat(result).isInstanceOfSatisfying(AuthenticationResult.Rejected.class, r -> assertThat(r.reason()).contains(reasons));
  }

  private static void assertAuthenticated(AuthenticationResult result) {
    assertThat(result).isInstanceOfSatisfying(AuthenticationResult.Authenticated.class,
        a -> assertThat(a.identity().spiffeId().toString()).isEqualTo("spiffe://cluster.local/ns/shop/sa/cart"));
  }

  private JWTClaimsSet.Builder claims() {
    Date now = Date.from(clock.instant());
    return new JWTClaimsSet.Builder().issuer(ISSUER).subject("system:serviceaccount:shop:cart").audience("istio-ca")
        .issueTime(now).notBeforeTime(now).expirationTime(Date.from(clock.instant().plus(Duration.ofHours(1))));
  }

  private static String es256(ECKey key, JWSHeader.Builder header, JWTClaimsSet claims) throws Exception {
    SignedJWT jwt = new SignedJWT(header.build(), claims);
    jwt.sign(new ECDSASigner(key));
    return jwt.serialize();
  }

  private static String es256(ECKey key, String kid, JWTClaimsSet claims) throws Exception {
    return es256(key, new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(kid), claims);
  }

  @Test
  void hs256TokenKeyedWithThePublishedRsaKeyIsRefused() throws Exception {
    // Algorithm confusion: a verifier that let the token pick HMAC would use the public RSA key as the MAC secret.
    SignedJWT forged = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("rsa").build(), claims().build());
    forged.sign(new MACSigner(RSA.toPublicKey().getEncoded()));
    assertRejected(authenticate(forged.serialize()), "algorithm \"HS256\" is not ES256 or RS256");

    SignedJWT rs512 = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS512).keyID("rsa").build(), claims().build());
    rs512.sign(new RSASSASigner(RSA));
    assertRejected(authenticate(rs512.serialize()), "algorithm \"RS512\"");
  }

  @Test
  void symmetricKeysInTheJwksAreNeverUsed() throws Exception {
    byte[] secret = new byte[32];
    JsonWebKeySet parsed = JsonWebKeySet.parse("{\"keys\":["
        + "{\"kty\":\"oct\",\"kid\":\"mac\",\"k\":\"" + com.nimbusds.jose.util.Base64URL.encode(secret) + "\"},"
        + OLD.toPublicJWK().toJSONString() + "]}");
    assertThat(parsed.keys()).extracting(JWK::getKeyID).containsExactly("old");
    keys.set(parsed);
    SignedJWT hmac = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("mac").build(), claims().build());
    hmac.sign(new MACSigner(secret));
    assertRejected(authenticate(hmac.serialize()), "algorithm");
  }

  @Test
  void keyIsChosenByKidAndARetiredKeyStopsVerifying() throws Exception {
    assertAuthenticated(authenticate(es256(OLD, "old", claims().build())));
    assertAuthenticated(authenticate(es256(NEW, "new", claims().build())));
    assertRejected(authenticate(es256(OLD, "new", claims().build())), "signature does not verify", "kid new");
    assertRejected(authenticate(es256(ec("unknown"), "unknown", claims().build())), "signature does not verify", "kid unknown");

    keys.set(JsonWebKeySet.of(List.of(NEW)));
    assertRejected(authenticate(es256(OLD, "old", claims().subject("system:serviceaccount:shop:other").build())), "signature");
  }

  @Test
  void tokenWithoutKidIsCheckedAgainstEveryKeyOfItsAlgorithm() throws Exception {
    assertAuthenticated(authenticate(es256(NEW, new JWSHeader.Builder(JWSAlgorithm.ES256), claims().build())));
    assertRejected(authenticate(es256(ec("stranger"), new JWSHeader.Builder(JWSAlgorithm.ES256), claims().build())),
        "signature does not verify", "names no kid");
  }

  @Test
  void keyEmbeddedInTheTokenHeaderIsNotTrusted() throws Exception {
    ECKey attacker = ec("old");
    assertRejected(authenticate(es256(attacker,
        new JWSHeader.Builder(JWSAlgorithm.ES256).keyID("old").jwk(attacker.toPublicJWK()), claims().build())), "signature");
  }

  @Test
  void criticalHeaderParametersAreRefused() throws Exception {
    String token = es256(OLD, new JWSHeader.Builder(JWSAlgorithm.ES256).keyID("old")
        .criticalParams(Set.of("https://example.com/must-understand"))
        .customParam("https://example.com/must-understand", true), claims().build());
    assertRejected(authenticate(token), "critical header parameters");
  }

  @Test
  void encryptedAndNestedTokensAreRefused() throws Exception {
    String inner = es256(OLD, "old", claims().build());
    RSAKey recipient = rsa("enc");
    EncryptedJWT nested = new EncryptedJWT(
        new JWEHeader.Builder(JWEAlgorithm.RSA_OAEP_256, EncryptionMethod.A256GCM).contentType("JWT").build(), claims().build());
    nested.encrypt(new RSAEncrypter(recipient));
    assertRejected(authenticate(nested.serialize()), "encrypted (JWE)");
    com.nimbusds.jose.JWEObject wrapping = new com.nimbusds.jose.JWEObject(
        new JWEHeader.Builder(JWEAlgorithm.RSA_OAEP_256, EncryptionMethod.A256GCM).contentType("JWT").build(), new Payload(inner));
    wrapping.encrypt(new RSAEncrypter(recipient));
    assertRejected(authenticate(wrapping.serialize()), "encrypted (JWE)");

    // A JWS whose payload is itself a JWT (cty JWT) carries no claims of its own.
    SignedJWT signedWrapper = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID("old").contentType("JWT").build(),
        claims().build());
    com.nimbusds.jose.JWSObject jwsOfJwt = new com.nimbusds.jose.JWSObject(signedWrapper.getHeader(), new Payload(inner));
    jwsOfJwt.sign(new ECDSASigner(OLD));
    assertRejected(authenticate(jwsOfJwt.serialize()), "not a valid JSON object");
  }

  @Test
  void oversizedTokenIsRefusedBeforeParsing() throws Exception {
    String huge = es256(OLD, "old", claims().claim("padding", "x".repeat(JwtAuthenticator.MAX_TOKEN_LENGTH)).build());
    assertRejected(authenticate(huge), "token too large");
  }

  @Test
  void claimRulesApplyWithTheConfiguredSkew() throws Exception {
    assertRejected(authenticate(es256(OLD, "old", claims().expirationTime(null).build())), "lacks required claims", "exp");
    assertRejected(authenticate(es256(OLD, "old", claims().subject(null).build())), "lacks required claims", "sub");
    assertRejected(authenticate(es256(OLD, "old", claims().issuer("https://evil.example").build())), "issuer is not " + ISSUER);
    assertRejected(authenticate(es256(OLD, "old", claims().audience(List.of("api", "vault")).build())),
        "audience [api, vault] is not one of [istio-ca]");
    assertRejected(authenticate(es256(OLD, "old", claims().audience((String) null).build())), "audience");
    assertRejected(authenticate(es256(OLD, "old", claims().subject("alice").build())), "subject alice is not a service account");

    Date soon = Date.from(clock.instant().plus(SKEW.minusSeconds(5)));
    Date later = Date.from(clock.instant().plus(SKEW.plusSeconds(5)));
    assertAuthenticated(authenticate(es256(OLD, "old", claims().notBeforeTime(soon).build())));
    assertRejected(authenticate(es256(OLD, "old", claims().notBeforeTime(later).build())), "not valid yet");

    String shortLived = es256(OLD, "old", claims().expirationTime(Date.from(clock.instant().plusSeconds(60))).build());
    clock.advance(Duration.ofSeconds(60).plus(SKEW).minusSeconds(5));
    assertAuthenticated(authenticate(es256(OLD, "old", claims().expirationTime(Date.from(clock.instant().minusSeconds(10))).build())));
    clock.advance(Duration.ofSeconds(10));
    assertRejected(authenticate(shortLived), "expired");
  }

  @Test
  void unsupportedKeyTypesAreSkippedButAMalformedKeyFailsTheSet() {
    JsonWebKeySet parsed = JsonWebKeySet.parse("{\"keys\":[{\"kty\":\"future\",\"kid\":\"x\"},"
        + ec("p384", Curve.P_384).toPublicJWK().toJSONString() + "," + OLD.toPublicJWK().toJSONString() + "]}");
    assertThat(parsed.keys()).extracting(JWK::getKeyID).containsExactly("old");
    assertThatThrownBy(() -> JsonWebKeySet.parse("{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"half\"}]}"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("JWKS does not parse");
    assertThatThrownBy(() -> JsonWebKeySet.parse("{\"issuer\":\"x\"}")).isInstanceOf(IllegalArgumentException.class);
    assertThat(JsonWebKeySet.of(List.of(OLD)).toJson()).doesNotContain("\"d\"");
  }

  @Test
  void missingKeysMeanUnavailableNotRejected() throws Exception {
    keys.set(null);
    assertThat(authenticate(es256(OLD, "old", claims().build()))).isInstanceOf(AuthenticationResult.Unavailable.class);
  }

  @Test
  void typedTokenOtherThanJwtIsRefused() throws Exception {
    assertAuthenticated(authenticate(es256(OLD, new JWSHeader.Builder(JWSAlgorithm.ES256).keyID("old").type(JOSEObjectType.JWT),
        claims().build())));
    assertRejected(authenticate(es256(OLD, new JWSHeader.Builder(JWSAlgorithm.ES256).keyID("old").type(new JOSEObjectType("at+jwt")),
        claims().build())), "typ (type) at+jwt not allowed");
  }

  private static ECKey ec(String kid) {
    return ec(kid, Curve.P_256);
  }

  private static ECKey ec(String kid, Curve curve) {
    try {
      return new ECKeyGenerator(curve).keyID(kid).generate();
    } catch (com.nimbusds.jose.JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  private static RSAKey rsa(String kid) {
    try {
      return new RSAKeyGenerator(2048).keyID(kid).generate();
    } catch (com.nimbusds.jose.JOSEException e) {
      throw new IllegalStateException(e);
    }
  }
}
