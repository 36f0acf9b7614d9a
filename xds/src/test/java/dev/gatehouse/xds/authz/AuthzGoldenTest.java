package dev.gatehouse.xds.authz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.TypeRegistry;
import com.google.protobuf.util.JsonFormat;
import dev.gatehouse.model.MeshConfig;
import dev.gatehouse.model.MtlsMode;
import dev.gatehouse.model.ObjectKey;
import dev.gatehouse.model.Workload;
import dev.gatehouse.model.parse.KubernetesObjectParser;
import dev.gatehouse.model.parse.MeshSnapshotLoader;
import dev.gatehouse.model.parse.ParseResult;
import dev.gatehouse.xds.EnvoyValidateRules;
import dev.gatehouse.xds.ProxyKind;
import dev.gatehouse.xds.TranslationError;
import dev.gatehouse.xds.authn.JwksSnapshot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Golden files for AuthorizationPolicy / RequestAuthentication translation, Istio style: each
 * {@code golden/authz/<scenario>-in.yaml} holds Kubernetes/Istio objects plus one {@code GoldenCase} document naming
 * the workload, proxy kind and port under test (and optional mesh settings and translation options);
 * {@code <scenario>-out.yaml} holds the HTTP filters, network filters and errors produced, as YAML of the
 * protobuf JSON. Compared semantically (parsed YAML trees). Run with {@code -Dgolden.refresh=true} to rewrite the
 * out files, then review the diff.
 */
class AuthzGoldenTest {
  private static final Path DIR = Path.of("src/test/resources/golden/authz");
  private static final boolean REFRESH = Boolean.getBoolean("golden.refresh");
  private static final TypeRegistry TYPES =
      TypeRegistry.newBuilder()
          .add(io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.getDescriptor())
          .add(io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC.getDescriptor())
          .add(io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthz.getDescriptor())
          .add(io.envoyproxy.envoy.extensions.filters.network.ext_authz.v3.ExtAuthz.getDescriptor())
          .add(io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication.getDescriptor())
          .add(io.envoyproxy.envoy.extensions.path.match.uri_template.v3.UriTemplateMatchConfig.getDescriptor())
          .build();
  private static final String URI_TEMPLATE_TYPE =
      "type.googleapis.com/envoy.extensions.path.match.uri_template.v3.UriTemplateMatchConfig";
  private static final JsonFormat.Printer JSON = JsonFormat.printer().usingTypeRegistry(TYPES);

  @TestFactory
  Stream<DynamicTest> scenarios() throws IOException {
    List<Path> inputs;
    try (Stream<Path> files = Files.list(DIR)) {
      inputs = files.filter(p -> p.getFileName().toString().endsWith("-in.yaml")).sorted().toList();
    }
    assertThat(inputs).as("golden scenarios").hasSizeGreaterThanOrEqualTo(20);
    return inputs.stream().map(in -> DynamicTest.dynamicTest(scenarioName(in), () -> check(in)));
  }

  private static String scenarioName(Path in) {
    String f = in.getFileName().toString();
    return f.substring(0, f.length() - "-in.yaml".length());
  }

  private static void check(Path in) throws IOException {
    Path out = in.resolveSibling(scenarioName(in) + "-out.yaml");
    List<Message> produced = new ArrayList<>();
    String actual = render(Files.readString(in, StandardCharsets.UTF_8), in.toString(), produced);
    // Every generated filter also satisfies the validate.rules constraints of Envoy's API protos.
    // (The shared checker's type registry lacks UriTemplateMatchConfig; those Anys are checked in
    // AttributeTranslationTest instead.)
    for (Message m : produced) {
      assertThat(EnvoyValidateRules.violations(m))
          .filteredOn(v -> !v.endsWith("Any of unknown type " + URI_TEMPLATE_TYPE))
          .as("validate.rules of " + m)
          .isEmpty();
    }
    if (REFRESH) {
      Files.writeString(out, actual, StandardCharsets.UTF_8);
      return;
    }
    if (!Files.exists(out)) {
      fail("missing " + out + "; run with -Dgolden.refresh=true and review it");
    }
    String expected = Files.readString(out, StandardCharsets.UTF_8);
    Object expectedTree = yaml().load(expected);
    Object actualTree = yaml().load(actual);
    if (!expectedTree.equals(actualTree)) {
      // Same trees compare equal whatever the formatting; on a difference show the text diff.
      assertThat(actual).as(out.toString()).isEqualTo(expected);
    }
  }

  @SuppressWarnings("unchecked")
  static String render(String inputYaml, String source, List<Message> produced) {
    Map<String, Object> marker = null;
    List<Object> documents = new ArrayList<>();
    for (Object doc : yaml().loadAll(inputYaml)) {
      if (doc instanceof Map<?, ?> m && "GoldenCase".equals(m.get("kind"))) {
        marker = (Map<String, Object>) m;
      } else if (doc != null) {
        documents.add(doc);
      }
    }
    if (marker == null) {
      throw new AssertionError(source + ": no GoldenCase document");
    }
    MeshConfig mesh = meshConfig((Map<String, Object>) marker.getOrDefault("mesh", Map.of()));
    KubernetesObjectParser parser = new KubernetesObjectParser(mesh);
    List<ParseResult> results = new ArrayList<>();
    for (Object doc : documents) {
      results.addAll(parser.parseAll(doc, source));
    }
    MeshSnapshotLoader.Loaded loaded = new MeshSnapshotLoader(mesh).assemble(results, 1);
    assertThat(loaded.problems()).as(source + " problems").isEmpty();
    AuthzOptions options = options((Map<String, Object>) marker.getOrDefault("options", Map.of()));
    InboundPolicyFilters filters = InboundPolicyFilters.build(loaded.snapshot(), options);

    String[] w = ((String) marker.get("workload")).split("/");
    Workload workload = loaded.snapshot().workload(ObjectKey.of(w[0], w[1])).orElseThrow();
    ProxyKind kind = ProxyKind.valueOf((String) marker.getOrDefault("proxy", "SIDECAR"));
    int port = ((Number) marker.getOrDefault("port", 8080)).intValue();

    Map<String, Object> out = new LinkedHashMap<>();
    out.put("workload", marker.get("workload"));
    out.put("proxy", kind.name());
    out.put("port", port);
    out.put("httpFilters", tree(filters.httpFilters(workload, kind, port)));
    produced.addAll(filters.httpFilters(workload, kind, port));
    if (kind == ProxyKind.SIDECAR) {
      out.put("networkFilters", tree(filters.networkFilters(workload, kind, port)));
      produced.addAll(filters.networkFilters(workload, kind, port));
    }
    List<Map<String, Object>> errors = new ArrayList<>();
    for (TranslationError e : filters.errors()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("policy", e.policy());
      m.put("message", e.message());
      m.put("effect", e.failClosedEffect());
      errors.add(m);
    }
    out.put("errors", errors);
    DumperOptions dump = new DumperOptions();
    dump.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
    dump.setWidth(120);
    dump.setSplitLines(false);
    return "# Generated by AuthzGoldenTest from " + Path.of(source).getFileName() + "; -Dgolden.refresh=true rewrites.\n"
        + new Yaml(dump).dump(out);
  }

  private static List<Object> tree(List<? extends Message> messages) {
    List<Object> out = new ArrayList<>();
    for (Message m : messages) {
      try {
        out.add(withExplicitAllow(yaml().load(JSON.print(m))));
      } catch (InvalidProtocolBufferException e) {
        throw new AssertionError(e);
      }
    }
    return out;
  }

  /**
   * Protobuf JSON omits enum defaults, so an RBAC config with action ALLOW would print no action at all; spell it
   * out so a reader sees it. (Equivalent config: ALLOW is the default.)
   */
  @SuppressWarnings("unchecked")
  private static Object withExplicitAllow(Object node) {
    if (node instanceof Map<?, ?> map) {
      Map<String, Object> copy = new LinkedHashMap<>();
      ((Map<String, Object>) map).forEach((k, v) -> {
        Object child = withExplicitAllow(v);
        if ((k.equals("rules") || k.equals("shadowRules")) && child instanceof Map<?, ?> rbac
            && !rbac.containsKey("action")) {
          Map<String, Object> withAction = new LinkedHashMap<>();
          withAction.put("action", "ALLOW");
          withAction.putAll((Map<String, Object>) rbac);
          child = withAction;
        }
        copy.put(k, child);
      });
      return copy;
    }
    if (node instanceof List<?> list) {
      return list.stream().map(AuthzGoldenTest::withExplicitAllow).toList();
    }
    return node;
  }

  @SuppressWarnings("unchecked")
  private static MeshConfig meshConfig(Map<String, Object> m) {
    return new MeshConfig(
        (String) m.getOrDefault("trustDomain", "cluster.local"),
        (List<String>) m.getOrDefault("trustDomainAliases", List.of()),
        (String) m.getOrDefault("rootNamespace", "istio-system"),
        MtlsMode.PERMISSIVE,
        "cluster.local");
  }

  @SuppressWarnings("unchecked")
  private static AuthzOptions options(Map<String, Object> m) {
    AuthzOptions o = AuthzOptions.defaults();
    for (Map<String, Object> p : (List<Map<String, Object>>) m.getOrDefault("extAuthzProviders", List.of())) {
      o = o.withExtAuthzProviders(new ExtAuthzProvider(
          (String) p.get("name"),
          ExtAuthzProvider.Protocol.valueOf((String) p.getOrDefault("protocol", "GRPC")),
          (String) p.get("service"),
          ((Number) p.get("port")).intValue(),
          p.containsKey("timeoutSeconds") ? Duration.ofSeconds(((Number) p.get("timeoutSeconds")).longValue()) : null,
          Boolean.TRUE.equals(p.get("failOpen")),
          ((Number) p.getOrDefault("statusOnError", 0)).intValue(),
          (String) p.getOrDefault("pathPrefix", ""),
          (List<String>) p.getOrDefault("includeRequestHeadersInCheck", List.of()),
          (List<String>) p.getOrDefault("headersToUpstreamOnAllow", List.of()),
          (List<String>) p.getOrDefault("headersToDownstreamOnDeny", List.of()),
          (List<String>) p.getOrDefault("headersToDownstreamOnAllow", List.of()),
          (Map<String, String>) p.getOrDefault("includeAdditionalHeadersInCheck", Map.of()),
          requestBody((Map<String, Object>) p.get("includeRequestBodyInCheck"))));
    }
    if (Boolean.TRUE.equals(m.get("multipleCustomProviders"))) {
      o = o.withMultipleCustomProviders(true);
    }
    if (Boolean.TRUE.equals(m.get("remoteJwks"))) {
      o = o.withRemoteJwks(true);
    }
    if (m.containsKey("clockSkewSeconds")) {
      o = o.withClockSkewSeconds(((Number) m.get("clockSkewSeconds")).intValue());
    }
    if (m.containsKey("jwks")) {
      o = o.withJwks(new JwksSnapshot((Map<String, String>) m.get("jwks")));
    }
    return o;
  }

  private static ExtAuthzProvider.RequestBody requestBody(Map<String, Object> m) {
    return m == null ? null : new ExtAuthzProvider.RequestBody(((Number) m.get("maxRequestBytes")).intValue(),
        Boolean.TRUE.equals(m.get("allowPartialMessage")), Boolean.TRUE.equals(m.get("packAsBytes")));
  }

  private static Yaml yaml() {
    return new Yaml(new SafeConstructor(new LoaderOptions()));
  }
}
