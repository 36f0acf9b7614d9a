package dev.gatehouse.it.ca;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.ca.signer.spire.SpireServerTestServer;
import dev.gatehouse.ca.signer.upstream.UpstreamTestCa;
import dev.gatehouse.it.ProxylessMesh;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 15: a SPIRE CA rotation reaches connected grpc-java workloads ({@link BundleRotationScenario}), with Gatehouse
 * in SPIRE leaf mode against {@link SpireServerTestServer} on its Server API socket: every workload certificate is an
 * X509-SVID from {@code MintX509SVID}; the bundle is {@code GetBundle}, read every second. The rotation follows
 * SPIRE's CA slots: prepare (the next X.509 authority joins the bundle, sequence number up), activate (it signs),
 * prune (the old authority leaves the bundle).
 */
class SpireBundleRotationEndToEndTest {
  private static SpireServerTestServer spire;
  private static ProxylessMesh mesh;
  private static Path work;

  @BeforeAll
  static void start() throws Exception {
    // A short absolute path: a Unix socket path is limited to 107 bytes.
    work = Files.createTempDirectory("gh-spire-rot");
    spire = SpireServerTestServer.start("cluster.local", work.resolve("private/api.sock"));
    mesh = ProxylessMesh.start(work.resolve("mesh"), Map.of(
        "gatehouse.ca.mode", "spire",
        "gatehouse.ca.spire.socket", spire.socket().toString(),
        "gatehouse.ca.spire.timeout", "2s",
        "gatehouse.ca.spire.bundle-refresh-interval", "1s",
        "gatehouse.ca.spire.retry-interval", "1s"));
  }

  @AfterAll
  static void stop() {
    if (mesh != null) {
      mesh.close();
    }
    if (spire != null) {
      spire.close();
    }
  }

  @Test
  void spireCaRotationReachesConnectedWorkloadsWithoutFailedCalls() throws Exception {
    new BundleRotationScenario(mesh, new BundleRotationScenario.Upstream() {
      private UpstreamTestCa old;

      @Override
      public X509Certificate currentRoot() {
        return spire.activeAuthority().root();
      }

      @Override
      public X509Certificate addNextRoot() {
        old = spire.activeAuthority();
        return spire.prepareNextAuthority().root();
      }

      @Override
      public void signWithNextRoot() {
        spire.activateNextAuthority();
      }

      @Override
      public void removeOldRoot() {
        spire.pruneAuthority(old);
      }

      @Override
      public Duration signerSwitchDelay() {
        return Duration.ZERO; // leaf mode: the next MintX509SVID is signed by the active authority
      }
    }, "rotate-spire").run();

    assertThat(spire.received("/spire.api.server.svid.v1.SVID/MintX509SVID")).allSatisfy(r -> assertThat(r.local()).isTrue());
  }
}
