package dev.gatehouse.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.it.agent.CaEndpoint;
import dev.gatehouse.it.agent.IssuedCertificate;
import dev.gatehouse.it.agent.WorkloadAgent;
import dev.gatehouse.it.agent.WorkloadIdentity;
import dev.gatehouse.it.cluster.GatehouseUnderTest;
import dev.gatehouse.it.cluster.ServiceAccountTokenIssuer;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The test workload agent against the real Gatehouse CA (Spring application, Kubernetes mode, mock API server,
 * TokenReview): it gets a SPIFFE certificate for its service account, installs the files grpc's file watcher reads,
 * renews at half-life with a new serial, and is refused when its token or CSR does not add up.
 */
class WorkloadAgentCaTest {
  @TempDir static Path work;
  private static ProxylessMesh mesh;

  @BeforeAll
  static void start() throws Exception {
    mesh = ProxylessMesh.start(work, Map.of());
    mesh.namespace("agent-test", null);
  }

  @AfterAll
  static void stop() {
    if (mesh != null) {
      mesh.close();
    }
  }

  private static WorkloadAgent agent(String sa, Supplier<String> token, Duration ttl, Path dir) {
    CaEndpoint ca = new CaEndpoint("127.0.0.1", mesh.gatehouse().securePort(), GatehouseUnderTest.CA_AUTHORITY,
        mesh.gatehouse().rootCertFor("agent-test", Duration.ofSeconds(20)));
    return new WorkloadAgent(new WorkloadIdentity(ProxylessMesh.TRUST_DOMAIN, "agent-test", sa), ca, token, ttl, dir,
        Clock.systemUTC());
  }

  private static Supplier<String> tokenFor(String sa) {
    return () -> mesh.tokens().mint("agent-test", sa, ProxylessMesh.CA_AUDIENCES, Duration.ofHours(1));
  }

  @Test
  void agentObtainsAndInstallsASpiffeCertificateForItsServiceAccount() throws Exception {
    Path dir = work.resolve("echo-certs");
    try (WorkloadAgent agent = agent("echo", tokenFor("echo"), Duration.ofHours(1), dir)) {
      IssuedCertificate cert = agent.obtainAndInstall();

      X509Certificate leaf = cert.leaf();
      assertThat(leaf.getSubjectAlternativeNames().stream().map(san -> String.valueOf(san.get(1))))
          .containsExactly("spiffe://cluster.local/ns/agent-test/sa/echo");
      assertThat(leaf.getExtendedKeyUsage()).contains("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
      assertThat(leaf.getBasicConstraints()).isEqualTo(-1);
      assertThat(Duration.between(cert.requestedAt(), cert.notAfter())).isBetween(
          Duration.ofMinutes(59), Duration.ofMinutes(61));
      for (String file : List.of(WorkloadAgent.KEY, WorkloadAgent.CERT_CHAIN, WorkloadAgent.ROOT_CERT)) {
        assertThat(dir.resolve(file)).isNotEmptyFile();
      }
      assertThat(Files.readString(dir.resolve(WorkloadAgent.ROOT_CERT)))
          .isEqualTo(WorkloadAgent.Pem.encode(cert.chain().get(cert.chain().size() - 1)));
      assertThat(Files.readString(dir.resolve(WorkloadAgent.CERT_CHAIN)))
          .startsWith(WorkloadAgent.Pem.encode(leaf));
    }
  }

  @Test
  void agentRenewsAtHalfLifeWithANewSerial() throws Exception {
    try (WorkloadAgent agent = agent("renewing", tokenFor("renewing"), Duration.ofSeconds(4), work.resolve("renew"))) {
      IssuedCertificate first = agent.start();
      long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
      while (agent.issued().size() < 3 && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      List<IssuedCertificate> issued = agent.issued();
      assertThat(issued).as("renewals within 15 s of a 4 s certificate; last error: " + agent.lastError())
          .hasSizeGreaterThanOrEqualTo(3);
      assertThat(issued).extracting(IssuedCertificate::serial).doesNotHaveDuplicates();
      // Half-life from the request, not from the back-dated NotBefore: about 2 s apart, never immediately.
      assertThat(Duration.between(first.requestedAt(), issued.get(1).requestedAt()))
          .isBetween(Duration.ofMillis(1500), Duration.ofSeconds(5));
    }
  }

  @Test
  void csrForAnotherServiceAccountIsRefused() throws Exception {
    try (WorkloadAgent impostor = agent("frontend", tokenFor("echo"), Duration.ofHours(1), work.resolve("impostor"))) {
      assertThatThrownBy(impostor::obtainAndInstall)
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
      assertThat(work.resolve("impostor").resolve(WorkloadAgent.KEY)).doesNotExist();
    }
  }

  @Test
  void tokenFromAnotherIssuerIsUnauthenticated() throws Exception {
    ServiceAccountTokenIssuer rogue = new ServiceAccountTokenIssuer();
    Supplier<String> forged = () -> rogue.mint("agent-test", "echo", ProxylessMesh.CA_AUDIENCES, Duration.ofHours(1));
    try (WorkloadAgent agent = agent("echo", forged, Duration.ofHours(1), work.resolve("forged"))) {
      assertThatThrownBy(agent::obtainAndInstall)
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
    }
  }

  @Test
  void tokenForAnotherAudienceIsUnauthenticated() throws Exception {
    Supplier<String> wrongAudience =
        () -> mesh.tokens().mint("agent-test", "echo", List.of("not-istio-ca"), Duration.ofHours(1));
    try (WorkloadAgent agent = agent("echo", wrongAudience, Duration.ofHours(1), work.resolve("wrong-aud"))) {
      assertThatThrownBy(agent::obtainAndInstall)
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
    }
  }
}
