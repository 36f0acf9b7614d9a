package dev.gatehouse.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.xds.TranslationOptions;
import dev.gatehouse.xds.authn.JwksResolver;
import dev.gatehouse.xds.authz.AuthzOptions;
import dev.gatehouse.xds.authz.ExtAuthzProvider;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/** {@code gatehouse.xds.*} as Spring binds it, turned into translation options; bad values stop the start. */
class MeshTranslationOptionsTest {

  private static XdsProperties bind(Map<String, String> properties) {
    return new Binder(new MapConfigurationPropertySource(properties))
        .bindOrCreate("gatehouse.xds", XdsProperties.class);
  }

  @Test
  void defaultsAreIstiosInlineFetchingAndEnvoysClockSkew() {
    XdsProperties p = bind(Map.of());
    TranslationOptions o = MeshTranslationOptions.from(p);
    assertThat(o.authz().remoteJwks()).isFalse();
    assertThat(o.authz().clockSkewSeconds()).isEqualTo(AuthzOptions.DEFAULT_CLOCK_SKEW_SECONDS);
    assertThat(o.authz().extAuthzProviders()).isEmpty();
    assertThat(o.authz().multipleCustomProviders()).as("Istio: one CUSTOM provider per workload").isFalse();
    assertThat(o.plaintextInboundPorts()).isEmpty();
    assertThat(MeshTranslationOptions.timings(p.jwks())).isEqualTo(JwksResolver.Timings.ISTIO);
  }

  @Test
  void everyOptionIsReachableFromProperties() {
    XdsProperties p = bind(Map.ofEntries(
        Map.entry("gatehouse.xds.jwks.mode", "remote"),
        Map.entry("gatehouse.xds.jwks.clock-skew", "30s"),
        Map.entry("gatehouse.xds.jwks.refresh-interval", "5m"),
        Map.entry("gatehouse.xds.jwks.retry-interval", "10s"),
        Map.entry("gatehouse.xds.jwks.fetch-timeout", "2s"),
        Map.entry("gatehouse.xds.plaintext-inbound-ports", "15020,9090"),
        // Istio's meshConfig spelling (camelCase) binds as well as kebab-case.
        Map.entry("gatehouse.xds.extensionProviders[0].name", "opa"),
        Map.entry("gatehouse.xds.extensionProviders[0].envoyExtAuthzGrpc.service", "opa.authz.svc.cluster.local"),
        Map.entry("gatehouse.xds.extensionProviders[0].envoyExtAuthzGrpc.port", "9191"),
        Map.entry("gatehouse.xds.extensionProviders[0].envoyExtAuthzGrpc.timeout", "2s"),
        Map.entry("gatehouse.xds.extension-providers[1].name", "http-authz"),
        Map.entry("gatehouse.xds.extension-providers[1].envoy-ext-authz-http.service", "foo/authz.foo.svc.cluster.local"),
        Map.entry("gatehouse.xds.extension-providers[1].envoy-ext-authz-http.port", "8000"),
        Map.entry("gatehouse.xds.extension-providers[1].envoy-ext-authz-http.fail-open", "true"),
        Map.entry("gatehouse.xds.extension-providers[1].envoy-ext-authz-http.status-on-error", "503"),
        Map.entry("gatehouse.xds.extension-providers[1].envoy-ext-authz-http.path-prefix", "/check"),
        Map.entry("gatehouse.xds.extension-providers[1].envoy-ext-authz-http.include-request-headers-in-check", "x-user,x-auth-*"),
        Map.entry("gatehouse.xds.extension-providers[1].envoy-ext-authz-http.headers-to-downstream-on-allow", "*-trace"),
        Map.entry("gatehouse.xds.extension-providers[1].envoy-ext-authz-http.include-additional-headers-in-check.x-tenant", "acme"),
        Map.entry("gatehouse.xds.extension-providers[1].envoy-ext-authz-http.include-request-body-in-check.max-request-bytes", "4096"),
        Map.entry("gatehouse.xds.extension-providers[1].envoy-ext-authz-http.include-request-body-in-check.allow-partial-message", "true"),
        Map.entry("gatehouse.xds.extensionProviders[0].envoyExtAuthzGrpc.includeRequestBodyInCheck.maxRequestBytes", "1024"),
        Map.entry("gatehouse.xds.extensionProviders[0].envoyExtAuthzGrpc.includeRequestBodyInCheck.packAsBytes", "true"),
        Map.entry("gatehouse.xds.multiple-custom-authz-providers", "true")));
    TranslationOptions o = MeshTranslationOptions.from(p);
    assertThat(o.authz().remoteJwks()).isTrue();
    assertThat(o.authz().clockSkewSeconds()).isEqualTo(30);
    assertThat(o.plaintextInboundPorts()).containsExactly(9090, 15020);
    assertThat(o.authz().extAuthzProviders()).containsOnlyKeys("opa", "http-authz");
    ExtAuthzProvider opa = o.authz().extAuthzProviders().get("opa");
    assertThat(opa.protocol()).isEqualTo(ExtAuthzProvider.Protocol.GRPC);
    assertThat(opa.clusterName()).isEqualTo("outbound|9191||opa.authz.svc.cluster.local");
    assertThat(opa.timeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(opa.failOpen()).isFalse();
    ExtAuthzProvider http = o.authz().extAuthzProviders().get("http-authz");
    assertThat(http.protocol()).isEqualTo(ExtAuthzProvider.Protocol.HTTP);
    assertThat(http.clusterName()).isEqualTo("outbound|8000||authz.foo.svc.cluster.local");
    assertThat(http.failOpen()).isTrue();
    assertThat(http.statusOnError()).isEqualTo(503);
    assertThat(http.pathPrefix()).isEqualTo("/check");
    assertThat(http.includeRequestHeadersInCheck()).containsExactly("x-user", "x-auth-*");
    assertThat(http.headersToDownstreamOnAllow()).containsExactly("*-trace");
    assertThat(http.includeAdditionalHeadersInCheck()).containsExactly(Map.entry("x-tenant", "acme"));
    assertThat(http.includeRequestBodyInCheck()).isEqualTo(new ExtAuthzProvider.RequestBody(4096, true, false));
    assertThat(opa.includeRequestBodyInCheck()).isEqualTo(new ExtAuthzProvider.RequestBody(1024, false, true));
    assertThat(o.authz().multipleCustomProviders()).isTrue();
    assertThat(MeshTranslationOptions.timings(p.jwks()))
        .isEqualTo(new JwksResolver.Timings(Duration.ofSeconds(2), Duration.ofMinutes(5), Duration.ofSeconds(10),
            Duration.ofSeconds(1)));
  }

  @Test
  void theReadmesApplicationYamlExampleBinds() throws Exception {
    String readme = java.nio.file.Files.readString(java.nio.file.Path.of("..", "README.md"));
    int start = readme.indexOf("```yaml\ngatehouse:\n  xds:\n");
    assertThat(start).as("README example").isNotNegative();
    String yaml = readme.substring(start + "```yaml\n".length(), readme.indexOf("```", start + 7));
    var sources = new org.springframework.boot.env.YamlPropertySourceLoader()
        .load("readme", new org.springframework.core.io.ByteArrayResource(yaml.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    XdsProperties p = new Binder(org.springframework.boot.context.properties.source.ConfigurationPropertySources.from(sources.get(0)))
        .bindOrCreate("gatehouse.xds", XdsProperties.class);
    TranslationOptions o = MeshTranslationOptions.from(p);
    assertThat(o.plaintextInboundPorts()).containsExactly(15020);
    assertThat(o.authz().extAuthzProviders()).containsOnlyKeys("opa", "oauth2-proxy");
    ExtAuthzProvider http = o.authz().extAuthzProviders().get("oauth2-proxy");
    assertThat(http.protocol()).isEqualTo(ExtAuthzProvider.Protocol.HTTP);
    assertThat(http.statusOnError()).isEqualTo(503);
    assertThat(http.includeRequestHeadersInCheck()).containsExactly("authorization", "cookie");
    assertThat(http.headersToDownstreamOnDeny()).containsExactly("set-cookie");
    assertThat(http.headersToUpstreamOnAllow()).containsExactly("x-auth-request-*");
    assertThat(http.includeAdditionalHeadersInCheck()).containsExactly(Map.entry("x-auth-source", "mesh"));
    assertThat(http.includeRequestBodyInCheck()).isEqualTo(new ExtAuthzProvider.RequestBody(8192, true, false));
  }

  @Test
  void badValuesStopTheStartWithThePropertyNamed() {
    assertThatThrownBy(() -> MeshTranslationOptions.from(bind(Map.of(
        "gatehouse.xds.extension-providers[0].name", "opa",
        "gatehouse.xds.extension-providers[0].envoy-ext-authz-grpc.service", "opa.authz.svc.cluster.local"))))
        .hasMessageContaining("gatehouse.xds.extension-providers[0] (opa).envoy-ext-authz-grpc.port is required");
    assertThatThrownBy(() -> MeshTranslationOptions.from(bind(Map.of(
        "gatehouse.xds.extension-providers[0].name", "opa"))))
        .hasMessageContaining("exactly one of envoy-ext-authz-grpc, envoy-ext-authz-http");
    assertThatThrownBy(() -> MeshTranslationOptions.from(bind(Map.of(
        "gatehouse.xds.extension-providers[0].name", "a",
        "gatehouse.xds.extension-providers[0].envoy-ext-authz-grpc.service", "a.x.svc.cluster.local",
        "gatehouse.xds.extension-providers[0].envoy-ext-authz-grpc.port", "1",
        "gatehouse.xds.extension-providers[1].name", "a",
        "gatehouse.xds.extension-providers[1].envoy-ext-authz-grpc.service", "b.x.svc.cluster.local",
        "gatehouse.xds.extension-providers[1].envoy-ext-authz-grpc.port", "2"))))
        .hasMessageContaining("duplicate name");
    String http = "gatehouse.xds.extension-providers[0].envoy-ext-authz-http.";
    assertThatThrownBy(() -> MeshTranslationOptions.from(bind(Map.of(
        "gatehouse.xds.extension-providers[0].name", "h", http + "service", "h.x.svc.cluster.local", http + "port", "80",
        http + "headers-to-upstream-on-allow", "x-a,*"))))
        .hasMessageContaining("gatehouse.xds.extension-providers[0] (h).envoy-ext-authz-http: ext_authz provider h: "
            + "headersToUpstreamOnAllow: a single wildcard (\"*\") is not supported");
    assertThatThrownBy(() -> MeshTranslationOptions.from(bind(Map.of(
        "gatehouse.xds.extension-providers[0].name", "h", http + "service", "h.x.svc.cluster.local", http + "port", "80",
        http + "include-request-body-in-check.allow-partial-message", "true"))))
        .hasMessageContaining("(h).envoy-ext-authz-http.include-request-body-in-check.max-request-bytes is required");
    assertThatThrownBy(() -> MeshTranslationOptions.from(bind(Map.of(
        "gatehouse.xds.extension-providers[0].name", "h", http + "service", "h.x.svc.cluster.local", http + "port", "80",
        http + "include-additional-headers-in-check.[x tenant]", "acme"))))
        .hasMessageContaining("includeAdditionalHeadersInCheck: not a header name: x tenant");
    assertThatThrownBy(() -> MeshTranslationOptions.from(bind(Map.of(
        "gatehouse.xds.extension-providers[0].name", "g",
        "gatehouse.xds.extension-providers[0].envoy-ext-authz-grpc.service", "g.x.svc.cluster.local",
        "gatehouse.xds.extension-providers[0].envoy-ext-authz-grpc.port", "80",
        "gatehouse.xds.extension-providers[0].envoy-ext-authz-grpc.include-additional-headers-in-check.x-a", "1"))))
        .hasMessageContaining("header lists are for envoy-ext-authz-http only");
    assertThatThrownBy(() -> MeshTranslationOptions.from(bind(Map.of("gatehouse.xds.plaintext-inbound-ports", "0"))))
        .hasMessageContaining("gatehouse.xds.plaintext-inbound-ports");
    assertThatThrownBy(() -> MeshTranslationOptions.from(bind(Map.of("gatehouse.xds.jwks.clock-skew", "1500ms"))))
        .hasMessageContaining("gatehouse.xds.jwks.clock-skew must be whole seconds");
    assertThatThrownBy(() -> MeshTranslationOptions.timings(bind(Map.of("gatehouse.xds.jwks.retry-interval", "0s")).jwks()))
        .hasMessageContaining("gatehouse.xds.jwks.retry-interval must be positive");
  }
}
