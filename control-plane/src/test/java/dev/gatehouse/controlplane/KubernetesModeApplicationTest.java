package dev.gatehouse.controlplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.gatehouse.controlplane.source.ConfigSource;
import dev.gatehouse.controlplane.source.KubernetesConfigSource;
import dev.gatehouse.controlplane.source.MeshConfigStream;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The application in Kubernetes mode against the fabric8 mock API server: the Kubernetes client is configured the way
 * fabric8 configures it from the environment (here: system properties pointing at the mock server), the informers
 * sync, and readiness turns UP.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "gatehouse.source=kubernetes",
      "gatehouse.grpc.secure-port=0",
      "gatehouse.grpc.plaintext-port=0"
    })
@DirtiesContext
class KubernetesModeApplicationTest {
  private static final List<String> CLIENT_PROPERTIES =
      List.of("kubernetes.master", "kubernetes.auth.tryKubeConfig", "kubernetes.auth.tryServiceAccount",
          "kubernetes.namespace");
  private static final KubernetesMockServer API = startApiServer();

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Value("${local.server.port}")
  int port;

  @Autowired ConfigSource source;
  @Autowired MeshConfigStream stream;
  @Autowired KubernetesClient client;

  private static KubernetesMockServer startApiServer() {
    KubernetesMockServer server =
        new KubernetesMockServer(
            new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(List.of()), false);
    server.init(InetAddress.getLoopbackAddress(), 0);
    try (KubernetesClient seed = server.createClient()) {
      seed.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("shop").endMetadata().build())
          .create();
    }
    // fabric8 reads these before KUBECONFIG and the in-cluster service account.
    System.setProperty("kubernetes.master", "http://127.0.0.1:" + server.getPort());
    System.setProperty("kubernetes.auth.tryKubeConfig", "false");
    System.setProperty("kubernetes.auth.tryServiceAccount", "false");
    System.setProperty("kubernetes.namespace", "istio-system");
    return server;
  }

  @DynamicPropertySource
  static void stateInATempDir(DynamicPropertyRegistry registry) throws IOException {
    String state = Files.createTempDirectory("gatehouse-state").toString();
    registry.add("gatehouse.state-dir", () -> state);
  }

  @AfterAll
  static void stopApiServer() {
    CLIENT_PROPERTIES.forEach(System::clearProperty);
    API.destroy();
  }

  @Test
  void readsTheClusterAndReportsReadyAfterTheInitialSync() throws Exception {
    assertThat(source).isInstanceOf(KubernetesConfigSource.class);
    assertThat(client.getMasterUrl().getHost()).isEqualTo("127.0.0.1");

    await().atMost(Duration.ofSeconds(10)).until(() -> get("/actuator/health/readiness").statusCode() == 200);
    assertThat(stream.current().namespaces()).containsKey("shop");

    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("payments").endMetadata().build())
        .create();
    await().atMost(Duration.ofSeconds(10)).until(() -> stream.current().namespaces().containsKey("payments"));

    String health = get("/actuator/health").body();
    assertThat(health).contains("\"configSource\"").contains("kubernetes API http://127.0.0.1:" + API.getPort());
    assertThat(health).contains("CRDs not installed");
  }

  private HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
