package dev.gatehouse.ca.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.RSAKey;
import dev.gatehouse.ca.MutableClock;
import dev.gatehouse.ca.TestPki;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JwtAuthenticatorTest {
  private static final String ISSUER = "https://kubernetes.default.svc.cluster.local";
  private final MutableClock clock = MutableClock.startingNow();
  private final LocalTokenIssuer issuer = new LocalTokenIssuer(TestPki.ecP256(), ISSUER);
  private final JwtAuthenticator authenticator = new JwtAuthenticator(
      issuer::keySet, ISSUER, List.of("istio-ca"), "cluster.local", clock, Duration.ofSeconds(30));

  private AuthenticationResult authenticate(String token) {
    return authenticator.authenticate(AuthenticationRequest.ofToken(token));
  }

  private static void assertRejected(AuthenticationResult result, String reason) {
    assertThat(result).isInstanceOfSatisfying(AuthenticationResult.Rejected.class, r -> assertThat(r.reason()).contains(reason));
  }

  @Test
  void validEs256TokenAuthenticatesTheServiceAccount() {
    AuthenticationResult result = authenticate(issuer.mint("shop", "cart", List.of("istio-ca"), clock.instant(), Duration.ofHours(1)));
    assertThat(result).isInstanceOfSatisfying(AuthenticationResult.Authenticated.class,
        a -> assertThat(a.identity().spiffeId().toString()).isEqualTo("spiffe://cluster.local/ns/shop/sa/cart"));
  }

  @Test
  void expiredTokenIsRejected() {
    String token = issuer.mint("shop", "cart", List.of("istio-ca"), clock.instant(), Duration.ofMinutes(5));
    clock.advance(Duration.ofMinutes(6));
    assertRejected(authenticate(token), "expired");
  }

  @Test
  void verifiedTokenIsReusedButNeverPastItsExpiry() {
    java.util.concurrent.atomic.AtomicInteger keyLookups = new java.util.concurrent.atomic.AtomicInteger();
    JwtAuthenticator counting = new JwtAuthenticator(() -> {
      keyLookups.incrementAndGet();
      return issuer.keySet();
    }, ISSUER, List.of("istio-ca"), "cluster.local", clock, Duration.ofSeconds(30));
    String token = issuer.mint("shop", "cart", List.of("istio-ca"), clock.instant(), Duration.ofMinutes(2));
    for (int i = 0; i < 10; i++) {
      assertThat(counting.authenticate(AuthenticationRequest.ofToken(token))).isInstanceOf(AuthenticationResult.Authenticated.class);
    }
    assertThat(keyLookups).hasValue(1);
    clock.advance(Duration.ofMinutes(2).plusSeconds(31));
    assertRejected(counting.authenticate(AuthenticationRequest.ofToken(token)), "expired");
  }

  @Test
  void wrongAudienceIsRejected() {
    assertRejected(authenticate(issuer.mint("shop", "cart", List.of("api"), clock.instant(), Duration.ofHours(1))), "audience");
  }

  @Test
  void tokenFromAnotherIssuerIsRejected() {
    LocalTokenIssuer other = new LocalTokenIssuer(TestPki.ecP256(), ISSUER);
    assertRejected(authenticate(other.mint("shop", "cart", List.of("istio-ca"), clock.instant(), Duration.ofHours(1))), "signature");
    LocalTokenIssuer sameKeyOtherName = new LocalTokenIssuer(TestPki.ecP256(), "https://evil.example");
    JwtAuthenticator trustsBoth = new JwtAuthenticator(sameKeyOtherName::keySet, ISSUER, List.of("istio-ca"), "cluster.local", clock, Duration.ZERO);
    assertThat(trustsBoth.authenticate(AuthenticationRequest.ofToken(
        sameKeyOtherName.mint("shop", "cart", List.of("istio-ca"), clock.instant(), Duration.ofHours(1)))))
        .isInstanceOfSatisfying(AuthenticationResult.Rejected.class, r -> assertThat(r.reason()).contains("issuer"));
  }

  @Test
  void unsignedAndTamperedTokensAreRejected() {
    String token = issuer.mint("shop", "cart", List.of("istio-ca"), clock.instant(), Duration.ofHours(1));
    String[] parts = token.split("\\.");
    String noneHeader = b64("{\"alg\":\"none\"}");
    assertRejected(authenticate(noneHeader + "." + parts[1] + "."), "algorithm");
    String otherClaims = b64(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8).replace("cart", "admin"));
    assertRejected(authenticate(parts[0] + "." + otherClaims + "." + parts[2]), "signature");
    assertRejected(authenticate("garbage"), "compact JWS");
  }

  @Test
  void rs256TokenVerifiesAgainstAParsedJwks() throws Exception {
    KeyPair rsa = TestPki.rsa(2048);
    JsonWebKeySet jwks = JsonWebKeySet.parse(JsonWebKeySet.of(List.of(
        new RSAKey.Builder((RSAPublicKey) rsa.getPublic()).keyID("k1").build())).toJson());
    long now = clock.instant().getEpochSecond();
    String header = b64("{\"alg\":\"RS256\",\"kid\":\"k1\"}");
    String claims = b64("{\"iss\":\"" + ISSUER + "\",\"aud\":[\"istio-ca\"],\"sub\":\"system:serviceaccount:shop:cart\",\"exp\":"
        + (now + 600) + "}");
    Signature signer = Signature.getInstance("SHA256withRSA");
    signer.initSign(rsa.getPrivate());
    signer.update((header + "." + claims).getBytes(StandardCharsets.US_ASCII));
    String token = header + "." + claims + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(signer.sign());
    JwtAuthenticator rsaAuthenticator = new JwtAuthenticator(() -> jwks, ISSUER, List.of("istio-ca"), "cluster.local", clock, Duration.ZERO);
    assertThat(rsaAuthenticator.authenticate(AuthenticationRequest.ofToken(token))).isInstanceOf(AuthenticationResult.Authenticated.class);
  }

  @Test
  void localIssuerKeyIsSharedThroughTheStateFile(@TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Path keyFile = dir.resolve("token-signing-key.pem");
    LocalTokenIssuer cli = LocalTokenIssuer.loadOrCreate(keyFile, ISSUER);
    LocalTokenIssuer server = LocalTokenIssuer.loadOrCreate(keyFile, ISSUER);
    JwtAuthenticator serverSide = new JwtAuthenticator(server::keySet, ISSUER, List.of("istio-ca"), "cluster.local", clock, Duration.ZERO);
    assertThat(serverSide.authenticate(AuthenticationRequest.ofToken(
        cli.mint("shop", "cart", List.of("istio-ca"), clock.instant(), Duration.ofHours(1)))))
        .isInstanceOf(AuthenticationResult.Authenticated.class);
  }

  private static String b64(String json) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }
}
