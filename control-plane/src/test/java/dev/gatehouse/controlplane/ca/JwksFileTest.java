package dev.gatehouse.controlplane.ca;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.ca.MutableClock;
import dev.gatehouse.ca.TestPki;
import dev.gatehouse.ca.auth.AuthenticationRequest;
import dev.gatehouse.ca.auth.AuthenticationResult;
import dev.gatehouse.ca.auth.JwtAuthenticator;
import dev.gatehouse.ca.auth.LocalTokenIssuer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JwksFileTest {
  private static final String ISSUER = "https://kubernetes.default.svc";
  private final MutableClock clock = MutableClock.startingNow();

  @Test
  void rotatedIssuerKeyIsPickedUpAndABrokenFileKeepsThePreviousKeys(@TempDir Path dir) throws Exception {
    LocalTokenIssuer oldKey = new LocalTokenIssuer(TestPki.ecP256(), ISSUER);
    LocalTokenIssuer newKey = new LocalTokenIssuer(TestPki.ecP256(), ISSUER);
    Path file = dir.resolve("jwks.json");
    Files.writeString(file, oldKey.keySet().toJson());
    JwksFile keys = new JwksFile(file, clock, Duration.ofSeconds(30));
    JwtAuthenticator authenticator = new JwtAuthenticator(keys, ISSUER, List.of("istio-ca"), "cluster.local", clock, Duration.ZERO);
    String newToken = newKey.mint("shop", "cart", List.of("istio-ca"), clock.instant(), Duration.ofHours(1));

    assertThat(authenticator.authenticate(AuthenticationRequest.ofToken(
        oldKey.mint("shop", "cart", List.of("istio-ca"), clock.instant(), Duration.ofHours(1))))).isInstanceOf(AuthenticationResult.Authenticated.class);
    assertThat(authenticator.authenticate(AuthenticationRequest.ofToken(newToken))).isInstanceOf(AuthenticationResult.Rejected.class);

    Files.writeString(file, newKey.keySet().toJson());
    Files.setLastModifiedTime(file, FileTime.from(clock.instant().plusSeconds(5)));
    clock.advance(Duration.ofSeconds(31));
    assertThat(authenticator.authenticate(AuthenticationRequest.ofToken(newToken))).isInstanceOf(AuthenticationResult.Authenticated.class);

    Files.writeString(file, "{not json");
    Files.setLastModifiedTime(file, FileTime.from(clock.instant().plusSeconds(10)));
    clock.advance(Duration.ofSeconds(31));
    assertThat(keys.get().keys()).hasSize(1);
    assertThat(authenticator.authenticate(AuthenticationRequest.ofToken(
        newKey.mint("shop", "other", List.of("istio-ca"), clock.instant(), Duration.ofHours(1))))).isInstanceOf(AuthenticationResult.Authenticated.class);
  }
}
