package dev.gatehouse.ca.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.ca.MutableClock;
import dev.gatehouse.ca.TestPki;
import dev.gatehouse.ca.auth.ServiceAccountDirectory.Presence;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class ExistingServiceAccountAuthenticatorTest {
  private static final String ISSUER = "https://gatehouse.local/token-issuer";
  private final MutableClock clock = MutableClock.startingNow();
  private final LocalTokenIssuer issuer = new LocalTokenIssuer(TestPki.ecP256(), ISSUER);
  private final AtomicReference<Presence> presence = new AtomicReference<>(Presence.PRESENT);
  private final CallerAuthenticator authenticator = new ExistingServiceAccountAuthenticator(
      new JwtAuthenticator(issuer::keySet, ISSUER, List.of("istio-ca"), "cluster.local", clock, Duration.ofSeconds(30)),
      (namespace, serviceAccount) -> namespace.equals("ghost") ? Presence.NAMESPACE_ABSENT : presence.get());

  private AuthenticationResult authenticate(String namespace, String serviceAccount) {
    return authenticator.authenticate(AuthenticationRequest.ofToken(
        issuer.mint(namespace, serviceAccount, List.of("istio-ca"), clock.instant(), Duration.ofHours(1))));
  }

  @Test
  void correctlySignedTokenForAnUnknownNamespaceGetsNoIdentity() {
    assertThat(authenticate("ghost", "teller")).isInstanceOfSatisfying(AuthenticationResult.Rejected.class, r -> {
      assertThat(r.authenticator()).isEqualTo(JwtAuthenticator.NAME);
      assertThat(r.reason()).isEqualTo("token is for ghost/teller but namespace ghost is not in the mesh configuration");
    });
  }

  @Test
  void serviceAccountRemovedFromTheConfigurationStopsAuthenticatingEvenWhenTheTokenIsCached() {
    assertThat(authenticate("shop", "cart")).isInstanceOf(AuthenticationResult.Authenticated.class);
    String token = issuer.mint("shop", "cart", List.of("istio-ca"), clock.instant(), Duration.ofHours(1));
    assertThat(authenticator.authenticate(AuthenticationRequest.ofToken(token))).isInstanceOf(AuthenticationResult.Authenticated.class);
    presence.set(Presence.SERVICE_ACCOUNT_ABSENT);
    assertThat(authenticator.authenticate(AuthenticationRequest.ofToken(token)))
        .isInstanceOfSatisfying(AuthenticationResult.Rejected.class, r -> assertThat(r.reason())
            .isEqualTo("token is for shop/cart but service account shop/cart is not in the mesh configuration"));
  }

  @Test
  void beforeTheConfigurationLoadsTheCallerIsToldToRetry() {
    presence.set(Presence.NOT_LOADED);
    assertThat(authenticate("shop", "cart")).isInstanceOfSatisfying(AuthenticationResult.Unavailable.class,
        u -> assertThat(u.reason()).contains("mesh configuration not loaded"));
  }

  @Test
  void delegateRefusalsAndAbsentTokensPassThrough() {
    assertThat(authenticator.authenticate(AuthenticationRequest.none())).isInstanceOf(AuthenticationResult.NotApplicable.class);
    assertThat(authenticator.authenticate(AuthenticationRequest.ofToken("garbage"))).isInstanceOf(AuthenticationResult.Rejected.class);
  }
}
