package dev.gatehouse.controlplane.source;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.model.MeshConfig;
import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.model.Workload;
import dev.gatehouse.model.parse.KubernetesObjectParser;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The bundled demo mesh (examples/, used by the README's run command) loads completely and cleanly. */
class ExamplesMeshTest {
  private static final Path EXAMPLES = Path.of("..", "examples");

  @Test
  void demoMeshLoadsWithoutAnyInputError() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    ConfigInputErrors errors = new ConfigInputErrors(registry);
    try (MeshConfigStream stream =
            new MeshConfigStream(MeshConfig.defaults(), Duration.ofMillis(100), Duration.ofSeconds(10), errors, registry);
        FileConfigSource source =
            new FileConfigSource(
                EXAMPLES, new KubernetesObjectParser(MeshConfig.defaults()), stream, errors, Duration.ofSeconds(60))) {
      source.start();
      MeshSnapshot s = stream.current();

      assertThat(registry.find("gatehouse.config.input.errors").counters()).allMatch(c -> c.count() == 0);
      assertThat(s.invalidPolicies()).isEmpty();
      assertThat(s.namespaces()).containsOnlyKeys("istio-system", "shop", "payments", "legacy");
      assertThat(s.workloads()).hasSizeGreaterThanOrEqualTo(6);
      assertThat(s.workloads().values()).filteredOn(Workload::hasSidecar).hasSizeGreaterThanOrEqualTo(2);
      assertThat(s.workloads().values()).filteredOn(Workload::proxylessGrpc).hasSizeGreaterThanOrEqualTo(1);
      assertThat(s.workloads().values()).filteredOn(w -> !w.inMesh()).hasSizeGreaterThanOrEqualTo(1);
      assertThat(s.workloads().values()).extracting(Workload::ip).doesNotHaveDuplicates().allMatch(ip -> ip.startsWith("127.0.0."));
      assertThat(s.peerAuthenticationsIn("istio-system")).hasSize(1);
      assertThat(s.peerAuthenticationsIn("legacy")).hasSize(1);
      assertThat(s.authorizationPolicies()).extracting(p -> p.spec().getAction().name()).contains("ALLOW", "DENY");
      assertThat(s.requestAuthentications()).hasSize(1);
      assertThat(s.destinationRules()).hasSize(1);
      for (Workload w : s.workloads().values()) {
        assertThat(s.servicesForWorkload(w.key())).as("service of %s", w.key()).isNotEmpty();
      }
    }
  }

  @Test
  void demoMeshUsesOnlyLoopbackAddresses() throws IOException {
    Pattern ipv4 = Pattern.compile("\\b(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\b");
    try (Stream<Path> files = Files.walk(EXAMPLES)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        Matcher m = ipv4.matcher(Files.readString(f));
        while (m.find()) {
          assertThat(m.group(1)).as("%s in %s", m.group(), f).isEqualTo("127");
        }
      }
    }
  }
}
