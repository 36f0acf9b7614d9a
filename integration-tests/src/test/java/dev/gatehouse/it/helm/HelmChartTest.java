package dev.gatehouse.it.helm;

import static org.assertj.core.api.Assertions.assertThat;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import dev.gatehouse.controlplane.config.GatehouseProperties;
import dev.gatehouse.controlplane.config.SourceMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.SimpleCommandLinePropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.yaml.snakeyaml.Yaml;

/**
 * Renders the Helm chart with helm-java (Helm's own Go library, offline) and checks what a cluster would get: the
 * chart lints, the Deployment passes arguments that Gatehouse's real properties class binds to the chart's values,
 * and the RBAC grants what the CA and the Kubernetes source need.
 */
class HelmChartTest {
  private static final Path CHART = locateChart();

  private static Path locateChart() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.isDirectory(p.resolve("helm/gatehouse"))) {
      p = p.getParent();
    }
    return Objects.requireNonNull(p, "helm/gatehouse not found above the working directory").resolve("helm/gatehouse");
  }

  @Test
  void chartLintsClean() {
    LintResult result = new Helm(CHART).lint().strict().call();
    assertThat(result.isFailed()).as("helm lint: %s", result.getMessages()).isFalse();
  }

  @Test
  void deploymentArgumentsBindToGatehouseProperties() {
    List<Map<String, Object>> docs =
        render(Map.of("mesh.trustDomain", "corp.example", "debounce.quietPeriod", "250ms", "replicaCount", 3));
    Map<String, Object> deployment = only(docs, "Deployment");
    Map<String, Object> spec = map(deployment, "spec");
    assertThat(spec.get("replicas")).isEqualTo(3);
    Map<String, Object> container = first(list(map(map(spec, "template"), "spec"), "containers"));
    @SuppressWarnings("unchecked")
    List<String> args = (List<String>) container.get("args");

    StandardEnvironment env = new StandardEnvironment();
    env.getPropertySources().addFirst(new SimpleCommandLinePropertySource(args.toArray(String[]::new)));
    ConfigurationPropertySources.attach(env);
    GatehouseProperties bound = Binder.get(env).bindOrCreate("gatehouse", GatehouseProperties.class);

    assertThat(bound.source()).isEqualTo(SourceMode.KUBERNETES);
    assertThat(bound.trustDomain()).isEqualTo("corp.example");
    assertThat(bound.rootNamespace()).isEqualTo("istio-system");
    assertThat(bound.debounce().quietPeriod()).isEqualTo(Duration.ofMillis(250));
    assertThat(bound.debounce().maxDelay()).isEqualTo(Duration.ofSeconds(10));
    assertThat(bound.grpc().securePort()).isEqualTo(15012);
    assertThat(bound.grpc().plaintextPort()).isEqualTo(15010);
    assertThat(bound.grpc().address()).isEqualTo("0.0.0.0");
    assertThat(args).contains("--server.port=15014");
  }

  @Test
  void rbacGrantsWhatTheCaAndSourcesNeed() {
    List<Map<String, Object>> docs = render(Map.of());
    List<String> clusterRules = rules(only(docs, "ClusterRole"));
    assertThat(clusterRules)
        .contains(
            "authentication.k8s.io/tokenreviews:create",
            "/configmaps:create",
            "/configmaps:update",
            "/pods:watch",
            "discovery.k8s.io/endpointslices:watch",
            "security.istio.io/authorizationpolicies:watch",
            "networking.istio.io/destinationrules:watch");
    // Secrets (CA keys) only in the control plane's own namespace, never cluster-wide.
    assertThat(clusterRules).noneMatch(r -> r.startsWith("/secrets:"));
    assertThat(rules(only(docs, "Role"))).contains("/secrets:create", "/secrets:update");
    assertThat(only(docs, "Service")).isNotNull();
    assertThat(only(docs, "PodDisruptionBudget")).isNotNull();
  }

  private static List<Map<String, Object>> render(Map<String, Object> values) {
    var cmd = new Helm(CHART).template().withName("gatehouse").withNamespace("istio-system");
    values.forEach(cmd::set);
    String out = cmd.call();
    List<Map<String, Object>> docs = new ArrayList<>();
    for (Object o : new Yaml().loadAll(out)) {
      if (o instanceof Map<?, ?> m) {
        @SuppressWarnings("unchecked")
        Map<String, Object> doc = (Map<String, Object>) m;
        docs.add(doc);
      }
    }
    return docs;
  }

  private static Map<String, Object> only(List<Map<String, Object>> docs, String kind) {
    List<Map<String, Object>> found = docs.stream().filter(d -> kind.equals(d.get("kind"))).toList();
    assertThat(found).as("rendered %s objects", kind).hasSize(1);
    return found.get(0);
  }

  private static List<String> rules(Map<String, Object> role) {
    List<String> out = new ArrayList<>();
    for (Map<String, Object> rule : listOfMaps(role.get("rules"))) {
      for (Object group : (List<?>) rule.get("apiGroups")) {
        for (Object resource : (List<?>) rule.get("resources")) {
          for (Object verb : (List<?>) rule.get("verbs")) {
            out.add(group + "/" + resource + ":" + verb);
          }
        }
      }
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Map<String, Object> m, String key) {
    return (Map<String, Object>) m.get(key);
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(Map<String, Object> m, String key) {
    return (List<Object>) m.get(key);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> first(List<Object> l) {
    return (Map<String, Object>) l.get(0);
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> listOfMaps(Object o) {
    return (List<Map<String, Object>>) o;
  }
}
