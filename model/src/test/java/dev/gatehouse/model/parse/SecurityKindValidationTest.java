package dev.gatehouse.model.parse;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Duration;
import dev.gatehouse.api.istio.security.v1beta1.JWTRule;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** PeerAuthentication, RequestAuthentication and DestinationRule validators, called directly. */
class SecurityKindValidationTest {

  @Test
  void peerAuthenticationPortLevelNeedsASelector() {
    assertThat(PeerAuthenticationValidation.validate(Specs.peer("portLevelMtls: {8080: {mode: STRICT}}")))
        .containsExactly("mesh/namespace peer authentication cannot have port level mTLS");
    assertThat(PeerAuthenticationValidation.validate(
        Specs.peer("selector: {matchLabels: {}}\nportLevelMtls: {8080: {mode: STRICT}}")))
        .containsExactly("mesh/namespace peer authentication cannot have port level mTLS");
    assertThat(PeerAuthenticationValidation.validate(
        Specs.peer("selector: {matchLabels: {app: a}}\nportLevelMtls: {8080: {mode: STRICT}}"))).isEmpty();
  }

  @Test
  void peerAuthenticationPortsAreInRange() {
    assertThat(PeerAuthenticationValidation.validate(
        Specs.peer("selector: {matchLabels: {app: a}}\nportLevelMtls: {0: {mode: STRICT}}")))
        .containsExactly("port must be in range 1..65535");
    assertThat(PeerAuthenticationValidation.validate(
        Specs.peer("selector: {matchLabels: {app: a}}\nportLevelMtls: {70000: {mode: STRICT}}")))
        .containsExactly("port must be in range 1..65535");
  }

  @Test
  void peerAuthenticationSelectorIsValidated() {
    assertThat(PeerAuthenticationValidation.validate(Specs.peer("selector: {matchLabels: {'': a}}")))
        .containsExactly("empty key is not supported in selector: \"=a\"");
  }

  @Test
  void jwtRuleNeedsIssuerOrJwksUri() {
    assertThat(RequestAuthenticationValidation.validateJwtRule(JWTRule.getDefaultInstance()))
        .containsExactly("issuer or jwksUri must be non-empty string");
    assertThat(RequestAuthenticationValidation.validateJwtRule(
        JWTRule.newBuilder().setJwksUri("https://example.com/jwks").build())).isEmpty();
  }

  @Test
  void jwksAndJwksUriTogetherAreRejectedAsIstiosCrdDoes() {
    JWTRule both = JWTRule.newBuilder()
        .setIssuer("i")
        .setJwksUri("https://example.com/jwks")
        .setJwks("{\"keys\":[{\"kty\":\"RSA\",\"n\":\"x\",\"e\":\"AQAB\"}]}")
        .build();
    assertThat(RequestAuthenticationValidation.validateJwtRule(both))
        .containsExactly("only one of jwks or jwksUri can be set");
    assertThat(RequestAuthenticationValidation.validateJwtRule(both.toBuilder().clearJwksUri().build())).isEmpty();
  }

  @Test
  void crdLimitsOnJwtRulesApply() {
    JWTRule longUri = JWTRule.newBuilder().setIssuer("i").setJwksUri("https://e.com/" + "a".repeat(2040)).build();
    assertThat(RequestAuthenticationValidation.validateJwtRule(longUri))
        .containsExactly("jwksUri must be at most 2048 characters");
    JWTRule emptyClaim = JWTRule.newBuilder().setIssuer("i").addSpaceDelimitedClaims("scope").addSpaceDelimitedClaims("")
        .build();
    assertThat(RequestAuthenticationValidation.validateJwtRule(emptyClaim))
        .containsExactly("spaceDelimitedClaims must be non-empty strings");
    JWTRule.Builder many = JWTRule.newBuilder().setIssuer("i");
    for (int i = 0; i < 65; i++) {
      many.addSpaceDelimitedClaims("c" + i);
    }
    assertThat(RequestAuthenticationValidation.validateJwtRule(many.build()))
        .containsExactly("spaceDelimitedClaims may not have more than 64 values");
  }

  @Test
  void inlineJwksMustBeAKeySetOrAKey() {
    assertThat(RequestAuthenticationValidation.validateJwks("{\"kty\":\"EC\"}")).isEmpty();
    assertThat(RequestAuthenticationValidation.validateJwks("{\"keys\":[]}")).isEmpty();
    assertThat(RequestAuthenticationValidation.validateJwks("not json {")).containsExactly("jwks parse error: not JSON");
    assertThat(RequestAuthenticationValidation.validateJwks("[1]")).containsExactly("jwks parse error: not a JSON object");
    assertThat(RequestAuthenticationValidation.validateJwks("{\"keys\":{}}"))
        .containsExactly("jwks parse error: \"keys\" is not a list");
    assertThat(RequestAuthenticationValidation.validateJwks("{\"keys\":[{\"n\":\"x\"}]}"))
        .containsExactly("jwks parse error: a key has no \"kty\"");
    assertThat(RequestAuthenticationValidation.validateJwks("{\"alg\":\"RS256\"}"))
        .containsExactly("jwks parse error: neither a key set nor a key");
  }

  @Test
  void jwtRuleLocationsAndOutputsMustBeNamed() {
    JWTRule rule = Specs.request("""
        jwtRules:
        - issuer: i
          audiences: ['']
          fromHeaders: [{prefix: 'Bearer '}]
          fromParams: ['']
          fromCookies: ['']
          outputClaimToHeaders: [{header: x-a}, {header: 'x a', claim: sub}]
        """).getJwtRules(0);
    assertThat(RequestAuthenticationValidation.validateJwtRule(rule)).containsExactly(
        "audience must be non-empty string",
        "location header name must be non-empty string",
        "location query must be non-empty string",
        "cookie name must be non-empty string",
        "outputClaimToHeaders header and claim value must be non-empty string",
        "header name x a is not a valid header name");
  }

  @Test
  void jwtTimeoutIsAtLeastAMillisecondAtMillisecondPrecision() {
    assertThat(RequestAuthenticationValidation.validateDuration(Duration.newBuilder().setSeconds(5).build())).isEmpty();
    assertThat(RequestAuthenticationValidation.validateDuration(Duration.newBuilder().setNanos(500_000).build()))
        .containsExactly("duration must be greater than 1ms");
    assertThat(RequestAuthenticationValidation.validateDuration(Duration.newBuilder().setSeconds(1).setNanos(1).build()))
        .containsExactly("only durations to ms precision are supported");
  }

  @Test
  void requestAuthenticationSelectorAndTargetRefExcludeEachOther() {
    assertThat(RequestAuthenticationValidation.validate(Specs.request("""
        selector: {matchLabels: {app: a}}
        targetRef: {kind: Gateway, group: gateway.networking.k8s.io, name: gw}
        jwtRules: [{issuer: i}]
        """))).containsExactly("only one of targetRefs or workloadSelector can be set");
  }

  @Test
  void destinationRuleRawTlsModesAreChecked() {
    Map<String, Object> raw = Fixtures.object("""
        host: a
        trafficPolicy:
          tls: {mode: ISTIO_MUTUAL}
          portLevelSettings:
          - {port: {number: 80}, tls: {mode: mutual}}
        subsets:
        - name: v1
          trafficPolicy: {tls: {mode: 3}}
        - name: v2
          trafficPolicy: {tls: {mode: 7}}
        """);
    assertThat(DestinationRuleValidation.validateRaw(raw)).containsExactly(
        "trafficPolicy.portLevelSettings[0].tls.mode: unknown TLS mode \"mutual\"",
        "subsets[1].trafficPolicy.tls.mode: unknown TLS mode 7");
  }

  @Test
  void destinationRuleNeedsAHostAndUniqueSubsets() {
    assertThat(DestinationRuleValidation.validate(Specs.destination("subsets: [{name: v1}, {name: v1}]")))
        .containsExactly("host must be set", "duplicate subset names: v1");
    assertThat(DestinationRuleValidation.validate(Specs.destination("host: reviews"))).isEmpty();
  }
}
