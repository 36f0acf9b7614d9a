package dev.gatehouse.it.ca;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.ca.signer.upstream.UpstreamTestCa;
import dev.gatehouse.ca.signer.vault.VaultTestServer;
import dev.gatehouse.it.ProxylessMesh;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15: a Vault PKI root rotation reaches connected grpc-java workloads ({@link BundleRotationScenario}), with
 * Gatehouse in Vault intermediate mode against {@link VaultTestServer}: Vault signs Gatehouse's intermediate
 * ({@code pki/root/sign-intermediate}, 5 min, renewed after 15% of its life: every 20 s or so), Gatehouse signs
 * workloads locally. The rotation
 * is Vault's own (1.11+ issuers): {@code pki/root/rotate/internal} adds a new issuer beside the old one,
 * {@code pki/root/replace} makes it the default (Gatehouse's next intermediate chains to it), and
 * {@code DELETE pki/issuer/<old>} removes the old root from the mount. Gatehouse reads the mount's issuers every second.
 */
class VaultBundleRotationEndToEndTest {
  @TempDir static Path work;
  private static VaultTestServer vault;
  private static ProxylessMesh mesh;

  @BeforeAll
  static void start() throws Exception {
    vault = VaultTestServer.start("pki", new UpstreamTestCa("vault", true), work.resolve("vault"));
    Path token = Files.writeString(work.resolve("vault/vault-token"), vault.createToken(Duration.ofHours(1), true));
    mesh = ProxylessMesh.start(work, Map.of(
        "gatehouse.ca.mode", "vault",
        "gatehouse.ca.vault.address", vault.address().toString(),
        "gatehouse.ca.vault.ca-bundle-file", vault.caBundle().toString(),
        "gatehouse.ca.vault.auth.method", "token",
        "gatehouse.ca.vault.auth.token-file", token.toString(),
        "gatehouse.ca.vault.issuance", "intermediate",
        "gatehouse.ca.vault.intermediate-ttl", "300s",
        "gatehouse.ca.vault.renew-at", "0.15",
        "gatehouse.ca.vault.bundle-refresh-interval", "1s",
        "gatehouse.ca.vault.retry-interval", "1s"));
  }

  @AfterAll
  static void stop() {
    if (mesh != null) {
      mesh.close();
    }
    if (vault != null) {
      vault.close();
    }
  }

  @Test
  void vaultRootRotationReachesConnectedWorkloadsWithoutFailedCalls() throws Exception {
    new BundleRotationScenario(mesh, new BundleRotationScenario.Upstream() {
      private String oldIssuer;
      private String newIssuer;

      @Override
      public X509Certificate currentRoot() {
        return vault.ca().root();
      }

      @Override
      public X509Certificate addNextRoot() {
        oldIssuer = vault.defaultIssuerId();
        UpstreamTestCa next = new UpstreamTestCa("vault", true);
        newIssuer = vault.newIssuer(next, false);
        return next.root();
      }

      @Override
      public void signWithNextRoot() {
        vault.makeDefault(newIssuer);
      }

      @Override
      public void removeOldRoot() {
        vault.deleteIssuer(oldIssuer);
      }

      @Override
      public Duration signerSwitchDelay() {
        // The intermediate (300 s asked, NotBefore back-dated 30 s by the test CA) is renewed 49.5 s into its life.
        return Duration.ofSeconds(25);
      }
    }, "rotate-vault").run();

    assertThat(vault.received("pki/root/sign-intermediate")).as("Gatehouse renewed its intermediate from Vault")
        .hasSizeGreaterThanOrEqualTo(2);
  }
}
