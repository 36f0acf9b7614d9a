package dev.gatehouse.posture.explain;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.model.MeshConfig;
import dev.gatehouse.model.ObjectKey;
import dev.gatehouse.model.Workload;
import dev.gatehouse.model.parse.MeshSnapshotLoader;
import dev.gatehouse.posture.MeshPosture;
import dev.gatehouse.posture.PostureInput;
import dev.gatehouse.xds.ProxyKind;
import dev.gatehouse.xds.TranslationOptions;
import dev.gatehouse.xds.authz.InboundPolicyFilters;
import dev.gatehouse.xds.dataplane.EnvoyFilterChainEvaluator;
import dev.gatehouse.xds.dataplane.EnvoyFilterChainEvaluator.Decision;
import dev.gatehouse.xds.dataplane.EnvoyFilterChainEvaluator.Request;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * {@code explain} over the translation's own authz golden scenarios ({@code xds/src/test/resources/golden/authz}: the
 * filters AuthzGoldenTest pins). For each sidecar scenario on the default mesh, a Service naming the case's port
 * {@code http-golden} makes it an HTTP port; then a few requests (mTLS from two identities, plaintext; {@code /} and
 * {@code /admin}) are explained, and each verdict must equal the decision of walking the HTTP filters the translation
 * builds for that workload and port, given the same attributes (an identity without a known source address, as
 * {@code --from} gives). Undecided answers (a CUSTOM provider decides) are not compared.
 */
class ExplainGoldenScenariosTest {
  private static final Path DIR = Path.of("../xds/src/test/resources/golden/authz");
  private static final List<String> FROM = List.of("spiffe://cluster.local/ns/foo/sa/a",
      "spiffe://cluster.local/ns/bar/sa/b", "");
  private static final List<String> PATHS = List.of("/", "/admin/x", "/api/v1/items");

  @TestFactory
  Stream<DynamicTest> explainAgreesWithTheGoldenRbacFilters() throws IOException {
    List<Path> inputs;
    try (Stream<Path> files = Files.list(DIR)) {
      inputs = files.filter(p -> p.getFileName().toString().endsWith("-in.yaml")).sorted().toList();
    }
    assertThat(inputs).as("golden scenarios in " + DIR).hasSizeGreaterThanOrEqualTo(20);
    List<Path> used = inputs.stream().filter(ExplainGoldenScenariosTest::sidecarOnDefaultMesh).toList();
    assertThat(used).as("scenarios explain is checked on").hasSizeGreaterThanOrEqualTo(15)
        .anySatisfy(p -> assertThat(p.getFileName().toString()).isEqualTo("audit-in.yaml"))
        .anySatisfy(p -> assertThat(p.getFileName().toString()).isEqualTo("allow-nothing-in.yaml"))
        .anySatisfy(p -> assertThat(p.getFileName().toString()).isEqualTo("dry-run-in.yaml"));
    return used.stream().map(p -> DynamicTest.dynamicTest(p.getFileName().toString(), () -> check(p)));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> goldenCase(Path in) {
    try {
      for (Object doc : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(Files.readString(in))) {
        if (doc instanceof Map<?, ?> m && "GoldenCase".equals(m.get("kind"))) {
          return (Map<String, Object>) m;
        }
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    throw new AssertionError(in + ": no GoldenCase");
  }

  private static boolean sidecarOnDefaultMesh(Path in) {
    Map<String, Object> c = goldenCase(in);
    return "SIDECAR".equals(c.getOrDefault("proxy", "SIDECAR")) && !c.containsKey("mesh") && !c.containsKey("options");
  }

  private static void check(Path in) throws IOException {
    Map<String, Object> c = goldenCase(in);
    String[] wl = ((String) c.get("workload")).split("/");
    int port = ((Number) c.getOrDefault("port", 8080)).intValue();
    String yaml = Stream.of(Files.readString(in).split("(?m)^---\\s*$"))
        .filter(d -> !d.contains("kind: GoldenCase")).collect(Collectors.joining("\n---\n"));
    Workload w0 = MeshSnapshotLoader.load(yaml, MeshConfig.defaults()).snapshot().workload(ObjectKey.of(wl[0], wl[1]))
        .orElseThrow();
    String selector = w0.labels().entrySet().stream().map(e -> "\"" + e.getKey() + "\": \"" + e.getValue() + "\"")
        .collect(Collectors.joining(", "));
    yaml += "\n---\napiVersion: v1\nkind: Service\nmetadata: {name: golden, namespace: " + wl[0] + "}\n"
        + "spec: {clusterIP: 127.0.0.250, selector: {" + selector + "}, ports: [{name: http-golden, port: " + port
        + ", targetPort: " + port + "}]}\n";
    MeshSnapshotLoader.Loaded loaded = MeshSnapshotLoader.load(yaml, MeshConfig.defaults());
    TranslationOptions options = TranslationOptions.defaults();
    MeshPosture mesh = MeshPosture.of(PostureInput.of(loaded.snapshot(), options, in.toString(),
        Instant.parse("2026-12-05T12:00:00Z")));
    Workload w = loaded.snapshot().workload(ObjectKey.of(wl[0], wl[1])).orElseThrow();
    InboundPolicyFilters filters = InboundPolicyFilters.build(loaded.snapshot(), options.authz());
    int compared = 0;
    for (String from : FROM) {
      for (String path : PATHS) {
        Explanation e = Explainer.explain(mesh, new ExplainRequest(w.key().toString(), port, from, "", from.isEmpty(),
            "GET", path, "svc.foo", Map.of(), Map.of()));
        if (e.verdict().equals(Explanation.UNDECIDED)) {
          continue;
        }
        String what = in.getFileName() + " " + (from.isEmpty() ? "plaintext" : from) + " GET " + path + ": " + e;
        assertThat(e.protocol()).as(what).isEqualTo("http");
        // The caller's address as explain knows it (none for --from: an ipBlocks rule then cannot match).
        Request r = Request.http("GET", path).port(port).ips(e.client().sourceIp(), e.client().sourceIp())
            .destination(w.ip());
        if (!from.isEmpty()) {
          r = r.from(from);
        }
        Decision rbac = EnvoyFilterChainEvaluator.evaluateHttp(filters.httpFilters(w, ProxyKind.SIDECAR, port), r);
        assertThat(e.verdict()).as(what + "\nRBAC decision " + rbac)
            .isEqualTo(rbac == Decision.ALLOW ? Explanation.ALLOW : Explanation.DENY);
        compared++;
      }
    }
    assertThat(compared).as(in + ": requests compared").isPositive();
  }
}
