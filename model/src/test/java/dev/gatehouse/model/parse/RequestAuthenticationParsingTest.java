package dev.gatehouse.model.parse;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.util.Durations;
import dev.gatehouse.api.istio.security.v1beta1.ClaimToHeader;
import dev.gatehouse.api.istio.security.v1beta1.JWTHeader;
import dev.gatehouse.api.istio.security.v1beta1.JWTRule;
import dev.gatehouse.api.istio.security.v1beta1.RequestAuthentication;
import dev.gatehouse.model.InvalidPolicy;
import dev.gatehouse.model.Policy;
import dev.gatehouse.model.PolicyKind;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class RequestAuthenticationParsingTest {
  private static List<ParseResult> fixture;

  @BeforeAll
  static void load() {
    fixture = Fixtures.resource("request-authentications.yaml");
  }

  @Test
  void istioExamplesParse() {
    assertThat(fixture).hasSize(4);
    Policy<RequestAuthentication> httpbin = Fixtures.policyIn(fixture, "foo", "httpbin");
    assertThat(httpbin.kind()).isEqualTo(PolicyKind.REQUEST_AUTHENTICATION);
    assertThat(httpbin.spec().getSelector().getMatchLabelsMap()).isEqualTo(Map.of("app", "httpbin"));
    assertThat(httpbin.spec().getJwtRulesList())
        .containsExactly(
            JWTRule.newBuilder()
                .setIssuer("issuer-foo")
                .setJwksUri("https://example.com/.well-known/jwks.json")
                .build());

    RequestAuthentication all = Fixtures.<RequestAuthentication>policyIn(fixture, "istio-system", "req-authn-for-all").spec();
    assertThat(all.getJwtRulesList()).extracting(JWTRule::getIssuer).containsExactly("issuer-foo", "issuer-bar");
  }

  @Test
  void everyJwtRuleFieldIsRead() {
    RequestAuthentication spec = Fixtures.<RequestAuthentication>policyIn(fixture, "bar", "every-field").spec();
    JWTRule rule = spec.getJwtRules(0);
    assertThat(rule.getIssuer()).isEqualTo("https://example.com");
    assertThat(rule.getAudiencesList())
        .containsExactly("bookstore_android.apps.example.com", "bookstore_web.apps.example.com");
    assertThat(rule.getJwksUri()).isEqualTo("https://example.com/.secret/jwks.json");
    assertThat(rule.getFromHeadersList())
        .containsExactly(
            JWTHeader.newBuilder().setName("x-jwt-assertion").setPrefix("Bearer ").build(),
            JWTHeader.newBuilder().setName("x-goog-iap-jwt-assertion").build());
    assertThat(rule.getFromParamsList()).containsExactly("my_token");
    assertThat(rule.getFromCookiesList()).containsExactly("auth-token");
    assertThat(rule.getOutputPayloadToHeader()).isEqualTo("x-jwt-payload");
    assertThat(rule.getOutputClaimToHeadersList())
        .containsExactly(ClaimToHeader.newBuilder().setHeader("x-my-company-jwt-group").setClaim("my-group").build());
    assertThat(rule.getForwardOriginalToken()).isTrue();
    assertThat(rule.getTimeout()).isEqualTo(Durations.fromMillis(7500));
    assertThat(rule.getSpaceDelimitedClaimsList()).containsExactly("custom_scope");
  }

  @Test
  void inlineJwksIsKeptVerbatim() {
    RequestAuthentication spec = Fixtures.<RequestAuthentication>policyIn(fixture, "bar", "every-field").spec();
    JWTRule inline = spec.getJwtRules(1);
    assertThat(inline.getIssuer()).isEqualTo("inline-issuer");
    assertThat(inline.getJwks()).startsWith("{\"keys\":[{\"kty\":\"EC\"");
    assertThat(inline.getJwksUri()).isEmpty();
  }

  @Test
  void gatewayTargetRefIsRead() {
    RequestAuthentication spec = Fixtures.<RequestAuthentication>policyIn(fixture, "istio-ingress", "gateway-jwt").spec();
    assertThat(spec.getTargetRef().getKind()).isEqualTo("Gateway");
    assertThat(spec.getTargetRef().getName()).isEqualTo("my-gateway");
  }

  @Test
  void aMisspeltJwtFieldIsInvalidRatherThanIgnored() {
    InvalidPolicy p = Fixtures.invalid("""
        apiVersion: security.istio.io/v1
        kind: RequestAuthentication
        metadata: {name: typo, namespace: foo}
        spec:
          selector: {matchLabels: {app: httpbin}}
          jwtRules:
          - issuer: issuer-foo
            jwksURI: https://example.com/jwks.json
        """);
    assertThat(p.kind()).isEqualTo(PolicyKind.REQUEST_AUTHENTICATION);
    assertThat(p.reason()).contains("jwksURI");
    assertThat(p.selector()).contains(Map.of("app", "httpbin"));
  }

  @Test
  void aTimeoutWithoutUnitIsInvalid() {
    InvalidPolicy p = Fixtures.invalid("""
        apiVersion: security.istio.io/v1beta1
        kind: RequestAuthentication
        metadata: {name: timeout, namespace: foo}
        spec:
          jwtRules:
          - issuer: issuer-foo
            timeout: 5
        """);
    assertThat(p.reason()).startsWith("spec: ");
  }

  @Test
  void aJwksUriThatIsNotHttpIsInvalid() {
    InvalidPolicy p = Fixtures.invalid("""
        apiVersion: security.istio.io/v1
        kind: RequestAuthentication
        metadata: {name: file-jwks, namespace: foo}
        spec:
          jwtRules:
          - issuer: issuer-foo
            jwksUri: file:///etc/jwks.json
        """);
    assertThat(p.reason()).isEqualTo("URI scheme \"file\" is not supported");
  }
}
