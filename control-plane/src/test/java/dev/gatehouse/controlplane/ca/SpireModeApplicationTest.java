package dev.gatehouse.controlplane.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import dev.gatehouse.api.istio.ca.v1.IstioCertificateResponse;
import dev.gatehouse.ca.pem.PemCodec;
import dev.gatehouse.ca.signer.spire.SpireServerTestServer;
import dev.gatehouse.controlplane.config.GatehouseProperties;
import dev.gatehouse.controlplane.grpc.GrpcServers;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The application with {@code gatehouse.ca.mode=spire} (leaf mode over the Server API socket) against
 * {@link SpireServerTestServer}: workload certificates are X509-SVIDs minted by SPIRE and chain to the SPIRE bundle
 * Gatehouse publishes; with the server down CreateCertificate answers UNAVAILABLE quickly and it recovers alone; a
 * server for another trust domain refuses the start.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    args = "--config-dir=../examples",
    properties = {
      "gatehouse.grpc.secure-port=0",
      "gatehouse.grpc.plaintext-port=0",
      "gatehouse.state-dir=target/spire-mode-test-state",
      "gatehouse.ca.mode=spire",
      "gatehouse.ca.spire.retry-interval=200ms",
      "gatehouse.ca.spire.timeout=1s"
    })
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SpireModeApplicationTest {
  private static final Path STATE = Path.of("target/spire-mode-test-state");
  private static final SpireServerTestServer SPIRE = startSpire();

  @Autowired GrpcServers servers;

  @Value("${local.server.port}")
  int httpPort;

  private static SpireServerTestServer startSpire() {
    try {
      // A short absolute path: a Unix socket path is limited to 107 bytes.
      return SpireServerTestServer.start("cluster.local",
          Files.createTempDirectory("gh-spire").resolve("private/api.sock"));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @DynamicPropertySource
  static void spire(DynamicPropertyRegistry registry) {
    registry.add("gatehouse.ca.spire.socket", () -> SPIRE.socket().toString());
  }

  @AfterAll
  static void stopSpire() {
    SPIRE.close();
  }

  @Test
  @Order(1)
  void workloadCertificatesAreMintedBySpireAndChainToThePublishedBundle() throws Exception {
    List<X509Certificate> published = PemCodec.decodeCertificates(Files.readString(STATE.resolve("root-cert.pem")));
    assertThat(published).containsExactly(SPIRE.activeAuthority().root());

    IstioCertificateResponse response = createCertificate(published, Duration.ofSeconds(10));

    X509Certificate leaf = PemCodec.decodeCertificates(response.getCertChain(0)).get(0);
    assertThat(leaf.getIssuerX500Principal()).isEqualTo(SPIRE.activeAuthority().root().getSubjectX500Principal());
    assertThat(SPIRE.received("/spire.api.server.svid.v1.SVID/MintX509SVID")).hasSizeGreaterThanOrEqualTo(2)
        .allSatisfy(r -> assertThat(r.local()).isTrue());
    JsonObject workloadCa = workloadCa();
    assertThat(workloadCa.get("status").getAsString()).isEqualTo("UP");
    assertThat(workloadCa.getAsJsonObject("details").get("signer").getAsString()).isEqualTo("spire");
    assertThat(scrape()).contains("gatehouse_ca_upstream_up{issuance=\"leaf\",signer=\"spire\"} 1.0");
  }

  @Test
  @Order(2)
  void serverDownAnswersUnavailableSaysWhyAndRecoversByItself() throws Exception {
    List<X509Certificate> published = PemCodec.decodeCertificates(Files.readString(STATE.resolve("root-cert.pem")));
    SPIRE.stop();
    try {
      long started = System.nanoTime();
      assertThatThrownBy(() -> createCertificate(published, Duration.ofSeconds(20)))
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
      awaitCondition(() -> "UPSTREAM_UNAVAILABLE".equals(workloadCa().get("status").getAsString()));
      assertThat(scrape()).contains("gatehouse_ca_upstream_up{issuance=\"leaf\",signer=\"spire\"} 0.0");
    } finally {
      SPIRE.restart();
    }
    awaitCondition(() -> "UP".equals(workloadCa().get("status").getAsString()));
    assertThat(createCertificate(published, Duration.ofSeconds(10)).getCertChainCount()).isGreaterThan(1);
  }

  @Test
  @Order(3)
  void aSpireServerForAnotherTrustDomainRefusesTheStart() {
    GatehouseProperties corp = new Binder(new MapConfigurationPropertySource(Map.of("gatehouse.trust-domain", "corp.example")))
        .bindOrCreate("gatehouse", GatehouseProperties.class);
    CaProperties ca = new Binder(new MapConfigurationPropertySource(Map.of("gatehouse.ca.spire.socket",
        SPIRE.socket().toString()))).bindOrCreate("gatehouse.ca", CaProperties.class);

    assertThatThrownBy(() -> UpstreamSigners.spire(corp, ca.spire(), Clock.systemUTC()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("trust domain mismatch")
        .hasMessageContaining("serves trust domain \"cluster.local\" but the mesh's is \"corp.example\"");
  }

  private CaApplicationClient client() {
    return new CaApplicationClient(STATE, servers.securePort(), httpPort);
  }

  private IstioCertificateResponse createCertificate(List<X509Certificate> roots, Duration deadline) throws Exception {
    return client().createCertificate(roots, deadline);
  }

  private JsonObject workloadCa() throws Exception {
    return client().workloadCa();
  }

  private String scrape() throws Exception {
    return client().scrape();
  }

  private HttpResponse<String> get(String path) throws Exception {
    return client().get(path);
  }

  private static void awaitCondition(CaApplicationClient.Check check) throws Exception {
    CaApplicationClient.awaitCondition(check);
  }
}
