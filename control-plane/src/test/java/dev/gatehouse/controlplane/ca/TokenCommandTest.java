package dev.gatehouse.controlplane.ca;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.ca.auth.AuthenticationRequest;
import dev.gatehouse.ca.auth.AuthenticationResult;
import dev.gatehouse.ca.auth.JwtAuthenticator;
import dev.gatehouse.ca.auth.LocalTokenIssuer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenCommandTest {
  @TempDir Path state;

  @Test
  void mintedTokenAuthenticatesWithTheServersLocalIssuer() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int code = TokenCommand.run(new String[] {"token", "--namespace", "shop", "--service-account", "cart", "--state-dir", state.toString()},
        new PrintStream(out, true, StandardCharsets.UTF_8), System.err);
    assertThat(code).isZero();
    String token = out.toString(StandardCharsets.UTF_8).trim();

    LocalTokenIssuer server = LocalTokenIssuer.loadOrCreate(state.resolve(TokenCommand.KEY_FILE), LocalTokenIssuer.DEFAULT_ISSUER);
    AuthenticationResult result = new JwtAuthenticator(server::keySet, server.issuer(), List.of("istio-ca"), "cluster.local",
        Clock.systemUTC(), Duration.ZERO).authenticate(AuthenticationRequest.ofToken(token));
    assertThat(result).isInstanceOfSatisfying(AuthenticationResult.Authenticated.class,
        a -> assertThat(a.identity().spiffeId().toString()).isEqualTo("spiffe://cluster.local/ns/shop/sa/cart"));
  }

  @Test
  void missingServiceAccountIsAUsageError() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = TokenCommand.run(new String[] {"--namespace", "shop"}, System.out, new PrintStream(err, true, StandardCharsets.UTF_8));
    assertThat(code).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("--service-account");
  }
}
