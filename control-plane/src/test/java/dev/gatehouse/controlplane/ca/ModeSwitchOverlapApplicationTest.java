package dev.gatehouse.controlplane.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import dev.gatehouse.api.istio.ca.v1.IstioCertificateResponse;
import dev.gatehouse.ca.TestPki;
import dev.gatehouse.ca.pem.PemCodec;
import dev.gatehouse.ca.signer.SigningAuthority;
import dev.gatehouse.ca.signer.SigningRequest;
import dev.gatehouse.ca.signer.TrustBundle;
import dev.gatehouse.ca.signer.upstream.UpstreamTestCa;
import dev.gatehouse.ca.signer.vault.VaultTestServer;
import dev.gatehouse.ca.spiffe.SpiffeId;
import dev.gatehouse.ca.x509.SvidFactory;
import dev.gatehouse.controlplane.grpc.GrpcServers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A mode switch self-signed to Vault with overlap, as an operator does it: the old self-signed root goes into
 * {@code gatehouse.ca.overlap-roots.file}, the overlap ends {@link #OVERLAP} after the test class loads. During the
 * overlap a leaf of the old CA verifies against the published root-cert.pem and against the root element of a
 * CreateCertificate answer (which also verifies the new Vault-signed leaf); once it ends, both hold only the Vault
 * root and the old leaf no longer verifies, without a restart.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    args = "--config-dir=../examples",
    properties = {
      "gatehouse.grpc.secure-port=0",
      "gatehouse.grpc.plaintext-port=0",
      "gatehouse.state-dir=target/mode-switch-test-state",
      "gatehouse.ca.mode=vault",
      "gatehouse.ca.vault.auth.method=token"
    })
class ModeSwitchOverlapApplicationTest {
  private static final Duration OVERLAP = Duration.ofSeconds(30);
  private static final Path STATE = Path.of("target/mode-switch-test-state");
  private static final Path WORK = Path.of("target/mode-switch-test-vault");
  private static final Instant UNTIL = Instant.now().plus(OVERLAP);
  /** The CA the mesh ran on before the switch (self-signed), and a workload certificate it issued. */
  private static final SigningAuthority OLD_CA = TestPki.root("cluster.local", Instant.now(), Duration.ofDays(3650));
  private static final X509Certificate OLD_LEAF;
  private static final VaultTestServer VAULT;

  static {
    try {
      OLD_LEAF = SvidFactory.issue(OLD_CA, SigningRequest.workload(SpiffeId.of("cluster.local", "shop", "reviews"),
          TestPki.ecP256().getPublic(), null, Duration.ofHours(2)), Instant.now()).get(0);
      VAULT = VaultTestServer.start("pki", new UpstreamTestCa("vault", true), WORK);
      VAULT.role("gatehouse", new VaultTestServer.Role(List.of("spiffe://cluster.local/*"),
          CaConfiguration.servingDnsNames(
              new org.springframework.boot.context.properties.bind.Binder().bindOrCreate("gatehouse",
                  dev.gatehouse.controlplane.config.GatehouseProperties.class),
              new org.springframework.boot.context.properties.bind.Binder().bindOrCreate("gatehouse.ca", CaProperties.class)),
          false, false, Duration.ofDays(30)));
      Files.writeString(WORK.resolve("vault-token"), VAULT.createToken(Duration.ofHours(1), true));
      Files.writeString(WORK.resolve("overlap-roots.pem"), OLD_CA.trustBundle().pem());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Autowired GrpcServers servers;

  @Value("${local.server.port}")
  int httpPort;

  @DynamicPropertySource
  static void properties(DynamicPropertyRegistry registry) {
    registry.add("gatehouse.ca.vault.address", () -> VAULT.address().toString());
    registry.add("gatehouse.ca.vault.ca-bundle-file", () -> VAULT.caBundle().toString());
    registry.add("gatehouse.ca.vault.auth.token-file", () -> WORK.resolve("vault-token").toString());
    registry.add("gatehouse.ca.overlap-roots.file", () -> WORK.resolve("overlap-roots.pem").toString());
    registry.add("gatehouse.ca.overlap-roots.until", UNTIL::toString);
  }

  @AfterAll
  static void stopVault() {
    VAULT.close();
  }

  @Test
  void thePreviousRootIsTrustedDuringTheOverlapAndNotAfterIt() throws Exception {
    CaApplicationClient client = new CaApplicationClient(STATE, servers.securePort(), httpPort);
    assertThat(Instant.now()).as("the application started well within the overlap").isBefore(UNTIL.minusSeconds(5));

    TrustBundle published = TrustBundle.of(PemCodec.decodeCertificates(Files.readString(STATE.resolve("root-cert.pem"))));
    assertThat(published.roots()).containsExactly(VAULT.ca().root(), OLD_CA.root());
    assertThat(published.verify(List.of(OLD_LEAF), Instant.now())).isEqualTo(OLD_CA.root());

    IstioCertificateResponse during = client.createCertificate(List.of(VAULT.ca().root()), Duration.ofSeconds(10));
    TrustBundle answerRoots = TrustBundle.of(PemCodec.decodeCertificates(during.getCertChain(during.getCertChainCount() - 1)));
    assertThat(answerRoots.roots()).containsExactly(VAULT.ca().root(), OLD_CA.root());
    assertThat(answerRoots.verify(List.of(OLD_LEAF), Instant.now())).isEqualTo(OLD_CA.root());
    assertThat(answerRoots.verify(chain(during), Instant.now())).as("the new leaf").isEqualTo(VAULT.ca().root());
    JsonObject details = client.workloadCa().getAsJsonObject("details");
    assertThat(details.get("signer").getAsString()).isEqualTo("vault-pki");
    assertThat(details.get("overlapRoots").getAsInt()).isEqualTo(1);
    assertThat(details.get("overlapRootsUntil").getAsString()).isEqualTo(UNTIL.toString());

    long wait = Duration.between(Instant.now(), UNTIL).toMillis();
    Thread.sleep(Math.max(0, wait));
    CaApplicationClient.awaitCondition(() -> PemCodec.decodeCertificates(Files.readString(STATE.resolve("root-cert.pem")))
        .equals(List.of(VAULT.ca().root())));
    TrustBundle after = TrustBundle.of(PemCodec.decodeCertificates(Files.readString(STATE.resolve("root-cert.pem"))));
    assertThatThrownBy(() -> after.verify(List.of(OLD_LEAF), Instant.now())).isInstanceOf(GeneralSecurityException.class);
    IstioCertificateResponse later = client.createCertificate(List.of(VAULT.ca().root()), Duration.ofSeconds(10));
    assertThat(PemCodec.decodeCertificates(later.getCertChain(later.getCertChainCount() - 1)))
        .containsExactly(VAULT.ca().root());
    assertThat(client.workloadCa().getAsJsonObject("details").has("overlapRoots")).isFalse();
  }

  private static List<X509Certificate> chain(IstioCertificateResponse response) throws Exception {
    List<X509Certificate> chain = new java.util.ArrayList<>();
    for (int i = 0; i < response.getCertChainCount() - 1; i++) {
      chain.addAll(PemCodec.decodeCertificates(response.getCertChain(i)));
    }
    return chain;
  }
}
