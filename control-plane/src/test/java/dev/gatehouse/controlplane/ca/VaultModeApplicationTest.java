package dev.gatehouse.controlplane.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import dev.gatehouse.api.istio.ca.v1.IstioCertificateResponse;
import dev.gatehouse.ca.pem.PemCodec;
import dev.gatehouse.ca.signer.upstream.UpstreamTestCa;
import dev.gatehouse.ca.signer.vault.VaultTestServer;
import dev.gatehouse.controlplane.grpc.GrpcServers;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The application with {@code gatehouse.ca.mode=vault} (leaf mode, token auth) against {@link VaultTestServer}: the
 * CA's answers come from Vault and chain to the Vault root Gatehouse publishes, its own serving certificate too; with
 * Vault stopped CreateCertificate answers UNAVAILABLE quickly, health and a metric say why, and it recovers alone.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    args = "--config-dir=../examples",
    properties = {
      "gatehouse.grpc.secure-port=0",
      "gatehouse.grpc.plaintext-port=0",
      "gatehouse.state-dir=target/vault-mode-test-state",
      "gatehouse.ca.mode=vault",
      "gatehouse.ca.vault.auth.method=token",
      "gatehouse.ca.vault.retry-interval=200ms",
      "gatehouse.ca.vault.max-attempts=2",
      "gatehouse.ca.vault.connect-timeout=500ms"
    })
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class VaultModeApplicationTest {
  private static final Path STATE = Path.of("target/vault-mode-test-state");
  private static final Path WORK = Path.of("target/vault-mode-test-vault");
  private static final VaultTestServer VAULT = startVault();

  @Autowired GrpcServers servers;

  @Value("${local.server.port}")
  int httpPort;

  private static VaultTestServer startVault() {
    try {
      VaultTestServer vault = VaultTestServer.start("pki", new UpstreamTestCa("vault", true), WORK);
      // A role as docs/ca.md sets it up: SPIFFE URIs of the trust domain, plus Gatehouse's own service names.
      vault.role("gatehouse", new VaultTestServer.Role(List.of("spiffe://cluster.local/*"),
          CaConfiguration.servingDnsNames(
              new org.springframework.boot.context.properties.bind.Binder().bindOrCreate("gatehouse",
                  dev.gatehouse.controlplane.config.GatehouseProperties.class),
              new org.springframework.boot.context.properties.bind.Binder().bindOrCreate("gatehouse.ca", CaProperties.class)),
          false, false, Duration.ofDays(30)));
      Files.writeString(WORK.resolve("vault-token"), vault.createToken(Duration.ofHours(1), true));
      return vault;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @DynamicPropertySource
  static void vault(DynamicPropertyRegistry registry) {
    registry.add("gatehouse.ca.vault.address", () -> VAULT.address().toString());
    registry.add("gatehouse.ca.vault.ca-bundle-file", () -> VAULT.caBundle().toString());
    registry.add("gatehouse.ca.vault.auth.token-file", () -> WORK.resolve("vault-token").toString());
  }

  @AfterAll
  static void stopVault() {
    VAULT.close();
  }

  @Test
  @Order(1)
  void workloadCertificatesAreSignedByVaultAndChainToThePublishedVaultRoot() throws Exception {
    List<X509Certificate> published = PemCodec.decodeCertificates(Files.readString(STATE.resolve("root-cert.pem")));
    assertThat(published).containsExactly(VAULT.ca().root());

    IstioCertificateResponse response = createCertificate(published, Duration.ofSeconds(10));

    X509Certificate leaf = PemCodec.decodeCertificates(response.getCertChain(0)).get(0);
    assertThat(leaf.getIssuerX500Principal()).isEqualTo(VAULT.ca().chain().get(0).getSubjectX500Principal());
    assertThat(PemCodec.decodeCertificates(response.getCertChain(response.getCertChainCount() - 1)))
        .containsExactly(VAULT.ca().root());
    assertThat(VAULT.received("pki/sign/gatehouse")).extracting(r -> r.body().get("uri_sans"))
        .contains("spiffe://cluster.local/ns/shop/sa/cart", "spiffe://cluster.local/ns/istio-system/sa/gatehouse");

    JsonObject workloadCa = workloadCa();
    assertThat(workloadCa.get("status").getAsString()).isEqualTo("UP");
    assertThat(workloadCa.getAsJsonObject("details").get("signer").getAsString()).isEqualTo("vault-pki");
    assertThat(workloadCa.getAsJsonObject("details").get("issuance").getAsString()).isEqualTo("leaf");
    assertThat(scrape()).contains("gatehouse_ca_upstream_up{issuance=\"leaf\",signer=\"vault-pki\"} 1.0");
  }

  @Test
  @Order(2)
  void vaultDownAnswersUnavailableSaysWhyAndRecoversByItself() throws Exception {
    List<X509Certificate> published = PemCodec.decodeCertificates(Files.readString(STATE.resolve("root-cert.pem")));
    VAULT.stop();
    try {
      long started = System.nanoTime();
      assertThatThrownBy(() -> createCertificate(published, Duration.ofSeconds(20)))
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));

      awaitCondition(() -> "UPSTREAM_UNAVAILABLE".equals(workloadCa().get("status").getAsString()));
      assertThat(workloadCa().getAsJsonObject("details").get("reason").getAsString()).contains("Vault unreachable");
      HttpResponse<String> readiness = get("/actuator/health/readiness");
      assertThat(readiness.statusCode()).as("xDS keeps being served: every replica shares the upstream").isEqualTo(200);
      assertThat(scrape())
          .contains("gatehouse_ca_upstream_up{issuance=\"leaf\",signer=\"vault-pki\"} 0.0")
          .containsPattern("citadel_server_csr_sign_err_count_total\\{error_type=\"upstream-unavailable\"} [1-9]");
    } finally {
      VAULT.restart();
    }
    awaitCondition(() -> "UP".equals(workloadCa().get("status").getAsString()));
    assertThat(createCertificate(published, Duration.ofSeconds(10)).getCertChainCount()).isGreaterThan(1);
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
