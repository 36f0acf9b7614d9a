package dev.gatehouse.controlplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.gatehouse.controlplane.config.StartupReport;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The application as the README runs it: on examples/, through --config-dir, ready and scrapeable over HTTP. */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    args = "--config-dir=../examples",
    properties = {"gatehouse.grpc.secure-port=0", "gatehouse.grpc.plaintext-port=0"})
class GatehouseApplicationTest {
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @DynamicPropertySource
  static void stateInATempDir(DynamicPropertyRegistry registry) throws IOException {
    // Keep the CA's on-disk state out of the source tree.
    Path state = Files.createTempDirectory("gatehouse-state");
    registry.add("gatehouse.state-dir", state::toString);
  }

  @Value("${local.server.port}")
  int port;

  @Autowired StartupReport startupReport;

  @Test
  void servesTheExampleMeshAndReportsReady() throws Exception {
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> get("/actuator/health/readiness").statusCode() == 200);
    HttpResponse<String> readiness = get("/actuator/health/readiness");
    assertThat(readiness.body()).contains("\"status\":\"UP\"").contains("configSync").contains("workloadCa");
    assertThat(get("/actuator/health/liveness").statusCode()).isEqualTo(200);

    HttpResponse<String> health = get("/actuator/health");
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.body()).contains("configSource").contains("files under");
  }

  @Test
  void exposesConfigMetricsForPrometheus() throws Exception {
    String scrape = get("/actuator/prometheus").body();
    assertThat(scrape).contains("gatehouse_config_objects{kind=\"Pod\"} 7.0");
    assertThat(scrape).contains("gatehouse_config_objects{kind=\"Namespace\"} 4.0");
    assertThat(scrape).contains("gatehouse_config_snapshot_version");

    HttpResponse<String> alias = get("/metrics");
    assertThat(alias.statusCode()).isEqualTo(200);
    assertThat(alias.body()).contains("gatehouse_config_objects{kind=\"Pod\"} 7.0");
  }

  @Test
  void startupLineSaysWhereConfigComesFromWhatLoadedAndWhereItListens() {
    String line = startupReport.line();

    assertThat(line).contains("config from files under ").contains("examples");
    assertThat(line).contains("7 Pod").contains("4 Namespace").contains("0 invalid policies");
    assertThat(line).contains("http 127.0.0.1:" + port);
    assertThat(line).doesNotContain("0.0.0.0");
  }

  private HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
