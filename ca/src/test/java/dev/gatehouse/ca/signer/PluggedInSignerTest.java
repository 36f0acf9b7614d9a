package dev.gatehouse.ca.signer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.ca.MutableClock;
import dev.gatehouse.ca.TestPki;
import dev.gatehouse.ca.pem.PemCodec;
import dev.gatehouse.ca.signer.pluggedin.DirectoryCaMaterialSource;
import dev.gatehouse.ca.signer.pluggedin.PluggedInCaMaterial;
import dev.gatehouse.ca.signer.pluggedin.PluggedInSigner;
import dev.gatehouse.ca.spiffe.SpiffeId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PluggedInSignerTest {
  private final MutableClock clock = MutableClock.startingNow();
  private final SigningAuthority corporateRoot = TestPki.root("corp.example", clock.instant(), Duration.ofDays(3650));
  @TempDir Path dir;

  private static void write(Path dir, Map<String, String> files) throws IOException {
    for (var file : files.entrySet()) {
      Files.writeString(dir.resolve(file.getKey()), file.getValue(), StandardCharsets.US_ASCII);
    }
  }

  private PluggedInSigner signer(boolean multipleRoots) {
    return new PluggedInSigner(new DirectoryCaMaterialSource(dir), multipleRoots, clock);
  }

  private List<X509Certificate> issue(CertificateSigner signer) {
    return signer.sign(SigningRequest.workload(SpiffeId.of("cluster.local", "shop", "cart"),
        TestPki.ecP256().getPublic(), null, Duration.ofHours(1)));
  }

  @Test
  void istioCacertsLayoutSignsLeavesChainingThroughTheIntermediateToTheCorporateRoot() throws Exception {
    TestPki.Intermediate intermediate = TestPki.intermediate(corporateRoot, "gatehouse-intermediate", clock.instant(), Duration.ofDays(365));
    write(dir, intermediate.cacertsFiles());
    PluggedInSigner signer = signer(false);
    assertThat(signer.reload()).isEqualTo(PluggedInSigner.ReloadOutcome.RELOADED);
    List<X509Certificate> chain = issue(signer);
    assertThat(chain).hasSize(3);
    assertThat(chain.get(1)).isEqualTo(intermediate.certificate());
    assertThat(chain.get(2)).isEqualTo(corporateRoot.root());
    assertThat(signer.trustBundle().roots()).containsExactly(corporateRoot.root());
    assertThat(signer.trustBundle().verify(chain, clock.instant())).isEqualTo(corporateRoot.root());
    assertThat(signer.reload()).isEqualTo(PluggedInSigner.ReloadOutcome.UNCHANGED);
  }

  @Test
  void kubernetesTlsLayoutIsAccepted() throws Exception {
    TestPki.Intermediate intermediate = TestPki.intermediate(corporateRoot, "tls-layout", clock.instant(), Duration.ofDays(365));
    write(dir, Map.of(
        "tls.crt", PemCodec.encodeCertificate(intermediate.certificate()),
        "tls.key", PemCodec.encodePrivateKey(intermediate.key().getPrivate()),
        "ca.crt", corporateRoot.trustBundle().pem()));
    PluggedInSigner signer = signer(false);
    assertThat(signer.reload()).isEqualTo(PluggedInSigner.ReloadOutcome.RELOADED);
    assertThat(issue(signer).get(2)).isEqualTo(corporateRoot.root());
  }

  @Test
  void invalidMaterialIsRefusedAtLoadWithTheReason() {
    TestPki.Intermediate good = TestPki.intermediate(corporateRoot, "good", clock.instant(), Duration.ofDays(365));
    TestPki.Intermediate other = TestPki.intermediate(corporateRoot, "other", clock.instant(), Duration.ofDays(365));
    SigningAuthority unrelatedRoot = TestPki.root("elsewhere.example", clock.instant(), Duration.ofDays(365));
    Map<String, String> keyMismatch = new HashMap<>(good.cacertsFiles());
    keyMismatch.put("ca-key.pem", PemCodec.encodePrivateKey(other.key().getPrivate()));
    assertInvalid(keyMismatch, "does not match");

    Map<String, String> wrongRoot = new HashMap<>(good.cacertsFiles());
    wrongRoot.put("root-cert.pem", unrelatedRoot.trustBundle().pem());
    wrongRoot.put("cert-chain.pem", PemCodec.encodeCertificate(good.certificate()));
    assertInvalid(wrongRoot, "does not chain");

    Map<String, String> leafNotCa = new HashMap<>(good.cacertsFiles());
    java.security.KeyPair leafKey = TestPki.ecP256();
    X509Certificate leaf = new FixedAuthoritySigner(good.authority()).sign(SigningRequest.workload(
        SpiffeId.of("cluster.local", "shop", "cart"), leafKey.getPublic(), null, Duration.ofHours(1))).get(0);
    leafNotCa.put("ca-cert.pem", PemCodec.encodeCertificate(leaf));
    leafNotCa.put("ca-key.pem", PemCodec.encodePrivateKey(leafKey.getPrivate()));
    assertInvalid(leafNotCa, "not a CA certificate");

    TestPki.Intermediate expired = TestPki.intermediate(corporateRoot, "expired", clock.instant().minus(Duration.ofDays(30)), Duration.ofDays(1));
    assertInvalid(expired.cacertsFiles(), "not valid now");

    Map<String, String> missingKey = new HashMap<>(good.cacertsFiles());
    missingKey.remove("ca-key.pem");
    assertInvalid(missingKey, "missing ca-key.pem");
  }

  private void assertInvalid(Map<String, String> files, String reason) {
    Assertions.assertThatThrownBy(() -> PluggedInCaMaterial.parse(files, clock.instant()))
        .isInstanceOf(PluggedInCaMaterial.InvalidCaMaterialException.class)
        .hasMessageContaining(reason);
  }

  @Test
  void validReplacementIsHotReloadedWithoutDroppingInFlightSigning() throws Exception {
    write(dir, TestPki.intermediate(corporateRoot, "first", clock.instant(), Duration.ofDays(365)).cacertsFiles());
    PluggedInSigner signer = signer(false);
    signer.reload();
    AtomicBoolean stop = new AtomicBoolean();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<Integer>> workers = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        workers.add(pool.submit(() -> {
          int signed = 0;
          while (!stop.get()) {
            List<X509Certificate> chain = issue(signer);
            // Each chain is internally consistent: signed by whichever intermediate it names.
            chain.get(0).verify(chain.get(1).getPublicKey());
            signed++;
          }
          return signed;
        }));
      }
      TestPki.Intermediate second = TestPki.intermediate(corporateRoot, "second", clock.instant(), Duration.ofDays(365));
      write(dir, second.cacertsFiles());
      assertThat(signer.reload()).isEqualTo(PluggedInSigner.ReloadOutcome.RELOADED);
      Thread.sleep(200);
      stop.set(true);
      for (Future<Integer> worker : workers) {
        assertThat(worker.get()).isPositive();
      }
      assertThat(issue(signer).get(1)).isEqualTo(second.certificate());
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void invalidReplacementIsRefusedAndTheOldIntermediateKeepsSigning() throws Exception {
    TestPki.Intermediate first = TestPki.intermediate(corporateRoot, "first", clock.instant(), Duration.ofDays(365));
    write(dir, first.cacertsFiles());
    PluggedInSigner signer = signer(false);
    signer.reload();
    Files.writeString(dir.resolve("ca-key.pem"), PemCodec.encodePrivateKey(TestPki.ecP256().getPrivate()));
    assertThat(signer.reload()).isEqualTo(PluggedInSigner.ReloadOutcome.REFUSED);
    assertThat(signer.lastError()).contains("does not match");
    assertThat(signer.readiness().ready()).isTrue();
    assertThat(issue(signer).get(1)).isEqualTo(first.certificate());
  }

  @Test
  void newRootIsRefusedUnlessMultipleRootsAreAllowed() throws Exception {
    write(dir, TestPki.intermediate(corporateRoot, "first", clock.instant(), Duration.ofDays(365)).cacertsFiles());
    SigningAuthority newRoot = TestPki.root("corp.example", clock.instant(), Duration.ofDays(3650));
    TestPki.Intermediate underNewRoot = TestPki.intermediate(newRoot, "second", clock.instant(), Duration.ofDays(365));
    Map<String, String> bothRoots = new HashMap<>(underNewRoot.cacertsFiles());
    bothRoots.put("root-cert.pem", PemCodec.encodeCertificates(List.of(newRoot.root(), corporateRoot.root())));

    PluggedInSigner strict = signer(false);
    strict.reload();
    write(dir, bothRoots);
    assertThat(strict.reload()).isEqualTo(PluggedInSigner.ReloadOutcome.REFUSED);
    assertThat(strict.trustBundle().roots()).containsExactly(corporateRoot.root());

    write(dir, TestPki.intermediate(corporateRoot, "first", clock.instant(), Duration.ofDays(365)).cacertsFiles());
    PluggedInSigner multi = signer(true);
    multi.reload();
    List<TrustBundle> published = new ArrayList<>();
    multi.onTrustBundleChange(published::add);
    write(dir, bothRoots);
    assertThat(multi.reload()).isEqualTo(PluggedInSigner.ReloadOutcome.RELOADED);
    assertThat(multi.trustBundle().roots()).containsExactlyInAnyOrder(newRoot.root(), corporateRoot.root());
    assertThat(published).hasSize(1);
    assertThat(issue(multi).get(2)).isEqualTo(newRoot.root());

    // A one-step swap to a disjoint root bundle is refused even with multiple roots allowed.
    SigningAuthority third = TestPki.root("corp.example", clock.instant(), Duration.ofDays(3650));
    write(dir, TestPki.intermediate(third, "third", clock.instant(), Duration.ofDays(365)).cacertsFiles());
    assertThat(multi.reload()).isEqualTo(PluggedInSigner.ReloadOutcome.REFUSED);
  }

  /** Signs with fixed material; only for producing test leaves. */
  private record FixedAuthoritySigner(SigningAuthority authority) implements CertificateSigner {
    public String name() {
      return "fixed";
    }

    public SignerReadiness readiness() {
      return SignerReadiness.isReady();
    }

    public TrustBundle trustBundle() {
      return authority.trustBundle();
    }

    public List<X509Certificate> signingChain() {
      return authority.chain();
    }

    public List<X509Certificate> sign(SigningRequest request) {
      try {
        return dev.gatehouse.ca.x509.SvidFactory.issue(authority, request, java.time.Instant.now());
      } catch (java.security.GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    }

    public void onTrustBundleChange(java.util.function.Consumer<TrustBundle> listener) {}
  }
}
