package dev.gatehouse.xds.authz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.envoyproxy.envoy.config.rbac.v3.Principal;
import io.envoyproxy.envoy.extensions.path.match.uri_template.v3.UriTemplateMatchConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The per-attribute translators, directly. */
class AttributeTranslationTest {

  @Test
  void cidrBlocksAcceptLiteralsOnly() throws Exception {
    assertThat(CidrBlock.parse("127.0.0.1").getPrefixLen().getValue()).isEqualTo(32);
    assertThat(CidrBlock.parse("127.0.0.0/8").getAddressPrefix()).isEqualTo("127.0.0.0");
    assertThat(CidrBlock.parse("::1").getPrefixLen().getValue()).isEqualTo(128);
    assertThat(CidrBlock.parse("fd00::/8").getPrefixLen().getValue()).isEqualTo(8);
    for (String bad : List.of("localhost", "256.0.0.1", "10.0.0.0/33", "1.2.3", "::1/129", "1.2.3.4/x", "")) {
      assertThatThrownBy(() -> CidrBlock.parse(bad)).as(bad).isInstanceOf(Untranslatable.class);
    }
  }

  @Test
  void pathTemplatesFollowIstioValidation() throws Exception {
    var template = Paths.INSTANCE.permission("paths", "/a/{*}/b/{**}", ChainTarget.SIDECAR_HTTP).getUriTemplate();
    var config = template.getTypedConfig().unpack(UriTemplateMatchConfig.class);
    assertThat(config.getPathTemplate()).isEqualTo("/a/*/b/**");
    assertThat(dev.gatehouse.xds.EnvoyValidateRules.violations(config)).isEmpty();
    assertThat(dev.gatehouse.xds.EnvoyValidateRules.violations(template)
        .stream().filter(v -> !v.contains("Any of unknown type"))).isEmpty();
    assertThat(Paths.INSTANCE.permission("paths", "/a/*", ChainTarget.SIDECAR_HTTP).getUrlPath().getPath().getPrefix())
        .isEqualTo("/a/");
    for (String bad : List.of("/a/{x}", "/a/b{*}", "/{**}/{*}", "/a/{**}/b/{**}")) {
      assertThatThrownBy(() -> Paths.INSTANCE.permission("paths", bad, ChainTarget.SIDECAR_HTTP))
          .as(bad).isInstanceOf(Untranslatable.class);
    }
    assertThatThrownBy(() -> Paths.INSTANCE.permission("paths", "/a/{*}", ChainTarget.PROXYLESS_HTTP))
        .isInstanceOf(Unavailable.class);
    assertThatThrownBy(() -> Paths.INSTANCE.permission("paths", "/a", ChainTarget.SIDECAR_TCP))
        .isInstanceOf(Unavailable.class);
  }

  @Test
  void requestPrincipalSplitsAtTheLastSlash() throws Exception {
    Principal p = RequestPrincipals.INSTANCE.principal(
        "requestPrincipals", List.of("https://accounts.example.com/tenant/alice"), ChainTarget.SIDECAR_HTTP);
    var ids = p.getAndIds().getIdsList();
    assertThat(ids.get(0).getMetadata().getValue().getStringMatch().getExact())
        .isEqualTo("https://accounts.example.com/tenant");
    assertThat(ids.get(1).getMetadata().getValue().getStringMatch().getExact()).isEqualTo("alice");
    assertThat(ids.get(0).getMetadata().getFilter()).isEqualTo("envoy.filters.http.jwt_authn");
    assertThat(ids.get(0).getMetadata().getPathList()).extracting(s -> s.getKey()).containsExactly("payload", "iss");
    assertThatThrownBy(() -> RequestPrincipals.INSTANCE.principal("requestPrincipals", List.of("*"), ChainTarget.PROXYLESS_HTTP))
        .isInstanceOf(Unavailable.class);
  }

  @Test
  void serviceAccountWithoutNamespaceUsesThePolicyNamespace() throws Exception {
    Principal p = new SourceServiceAccounts("foo").principal("serviceAccounts", "web", ChainTarget.SIDECAR_TCP);
    assertThat(p.getAuthenticated().getPrincipalName().getSafeRegex().getRegex())
        .isEqualTo("spiffe://.+/ns/foo/(.+/|)sa/web(/.+)?");
  }

  @Test
  void regexQuotingEscapesMetacharacters() {
    assertThat(Matchers.quote("a.b*c")).isEqualTo("a\\.b\\*c");
    assertThat(Matchers.withPrefix("*.corp", "spiffe://").getSafeRegex().getRegex()).isEqualTo("spiffe://.*\\.corp");
  }

  @Test
  void nestedClaimNames() throws Exception {
    assertThat(BracketedNames.nested("[a][b]", "k")).containsExactly("a", "b");
    assertThat(BracketedNames.nested("[a.b]", "k")).containsExactly("a.b");
    assertThatThrownBy(() -> BracketedNames.nested("a", "k")).isInstanceOf(Untranslatable.class);
    assertThatThrownBy(() -> BracketedNames.nested("[]", "k")).isInstanceOf(Untranslatable.class);
  }
}
