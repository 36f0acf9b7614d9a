package dev.gatehouse.ca.signer.spire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.api.spire.server.svid.v1.MintX509SVIDRequest;
import dev.gatehouse.api.spire.server.svid.v1.NewDownstreamX509CARequest;
import dev.gatehouse.ca.CaError;
import dev.gatehouse.ca.CaException;
import dev.gatehouse.ca.MutableClock;
import dev.gatehouse.ca.TestPki;
import dev.gatehouse.ca.pem.PemCodec;
import dev.gatehouse.ca.signer.SigningRequest;
import dev.gatehouse.ca.signer.TrustBundle;
import dev.gatehouse.ca.signer.upstream.UpstreamIntermediateSigner;
import dev.gatehouse.ca.signer.upstream.UpstreamLeafSigner;
import dev.gatehouse.ca.signer.upstream.UpstreamTestCa;
import dev.gatehouse.ca.spiffe.SpiffeId;
import dev.gatehouse.ca.x509.CaKeys;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SPIRE signer (leaf mode over the Server API socket, intermediate mode over mTLS with a downstream X509-SVID)
 * against {@link SpireServerTestServer}: real gRPC on a Unix domain socket and on loopback TCP with TLS.
 */
class SpireServerSignerTest {
  private static final SpiffeId CART = SpiffeId.of("cluster.local", "shop", "cart");
  private static final String MINT = "/spire.api.server.svid.v1.SVID/MintX509SVID";
  private static final String DOWNSTREAM = "/spire.api.server.svid.v1.SVID/NewDownstreamX509CA";
  private static final String GET_BUNDLE = "/spire.api.server.bundle.v1.Bundle/GetBundle";
  private static final String GATEHOUSE_ID = "spiffe://cluster.local/ns/istio-system/sa/gatehouse";

  @TempDir Path dir;
  private SpireServerTestServer spire;
  private final List<AutoCloseable> closing = new ArrayList<>();

  @BeforeEach
  void startSpire() throws Exception {
    spire = SpireServerTestServer.start("cluster.local", dir.resolve("spire-server/private/api.sock"));
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closing) {
      c.close();
    }
    spire.close();
  }

  private SpireServerAuthority local(Duration timeout) {
    SpireServerAuthority authority = new SpireServerAuthority(SpireSettings.local("cluster.local", spire.socket(), timeout));
    closing.add(authority);
    return authority;
  }

  private UpstreamLeafSigner leafSigner(Duration timeout) {
    UpstreamLeafSigner signer = new UpstreamLeafSigner(local(timeout),
        new UpstreamLeafSigner.Options(Duration.ofMinutes(1), Duration.ofMillis(200)), Clock.systemUTC());
    signer.maintain();
    return signer;
  }

  private UpstreamIntermediateSigner downstreamSigner(Path svidDir, String serverId, Clock clock) {
    SpireServerAuthority authority = new SpireServerAuthority(SpireSettings.downstream("cluster.local",
        spire.tcpAddress(), svidDir, serverId, Duration.ofSeconds(2)));
    closing.add(authority);
    return new UpstreamIntermediateSigner(authority, new UpstreamIntermediateSigner.Options("cluster.local",
        Duration.ofHours(1), 0.5, CaKeys.Algorithm.EC_P256, Duration.ofMinutes(5), Duration.ofSeconds(5)), clock);
  }

  private static SigningRequest cartRequest(KeyPair key) {
    return SigningRequest.workload(CART, key.getPublic(), TestPki.Csr.forKey(key).uri(CART.toString()).build(),
        Duration.ofHours(1));
  }

  @Test
  void leafModeMintsAnX509SvidForTheWorkloadsCsrOverTheServerSocket() throws Exception {
    UpstreamLeafSigner signer = leafSigner(Duration.ofSeconds(2));
    assertThat(signer.readiness().ready()).as(signer.readiness().reason()).isTrue();
    assertThat(signer.trustBundle().roots()).containsExactly(spire.activeAuthority().root());

    KeyPair key = TestPki.ecP256();
    List<X509Certificate> chain = signer.sign(cartRequest(key));

    assertThat(chain.get(0).getPublicKey()).isEqualTo(key.getPublic());
    assertThat(chain.get(0).getSubjectAlternativeNames().stream().map(san -> String.valueOf(san.get(1))).toList())
        .containsExactly(CART.toString());
    signer.trustBundle().verify(chain, Instant.now());
    SpireServerTestServer.Received mint = spire.received(MINT).get(0);
    assertThat(mint.local()).as("called on the socket, so SPIRE sees a local caller").isTrue();
    MintX509SVIDRequest request = (MintX509SVIDRequest) mint.request();
    assertThat(request.getTtl()).isEqualTo(3600);
    assertThat(new PKCS10CertificationRequest(request.getCsr().toByteArray()).getSubjectPublicKeyInfo().getEncoded())
        .as("the workload's own CSR, DER").isEqualTo(key.getPublic().getEncoded());
    assertThat(spire.received(GET_BUNDLE)).isNotEmpty().allSatisfy(r -> assertThat(r.local()).isTrue());
  }

  @Test
  void aCaRotationIsTrustedBeforeItSignsAndThePrunedAuthorityLeavesTheBundle() throws Exception {
    UpstreamLeafSigner signer = leafSigner(Duration.ofSeconds(2));
    List<TrustBundle> announced = new ArrayList<>();
    signer.onTrustBundleChange(announced::add);
    UpstreamTestCa old = spire.activeAuthority();

    UpstreamTestCa next = spire.prepareNextAuthority();
    assertThat(signer.refreshBundle()).isTrue();
    assertThat(signer.trustBundle().roots()).containsExactlyInAnyOrder(old.root(), next.root());
    assertThat(signer.sign(cartRequest(TestPki.ecP256()))).as("the old authority still signs").endsWith(old.root());

    spire.activateNextAuthority();
    List<X509Certificate> chain = signer.sign(cartRequest(TestPki.ecP256()));
    assertThat(chain).endsWith(next.root());
    TrustBundle.of(List.of(old.root(), next.root())).verify(chain, Instant.now());
    List<String> answer = signer.issue(cartRequest(TestPki.ecP256())).pem();
    assertThat(PemCodec.decodeCertificates(answer.get(answer.size() - 1)))
        .as("the CSR answer's root element is the whole bundle, its own root first (istiod's form)")
        .containsExactly(next.root(), old.root());

    spire.pruneAuthority(old);
    signer.refreshBundle();
    assertThat(signer.trustBundle().roots()).containsExactly(next.root());
    answer = signer.issue(cartRequest(TestPki.ecP256())).pem();
    assertThat(PemCodec.decodeCertificates(answer.get(answer.size() - 1))).containsExactly(next.root());
    assertThat(announced).hasSize(2);
  }

  @Test
  void aServerForAnotherTrustDomainStopsTheStartWithAClearMessage() throws Exception {
    spire.answerTrustDomain("corp.example");
    SpireServerAuthority authority = local(Duration.ofSeconds(2));

    assertThatThrownBy(authority::checkTrustDomain)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("trust domain mismatch")
        .hasMessageContaining("\"corp.example\"")
        .hasMessageContaining("\"cluster.local\"")
        .hasMessageContaining("gatehouse.trust-domain");
    UpstreamLeafSigner signer = new UpstreamLeafSigner(authority,
        new UpstreamLeafSigner.Options(Duration.ofMinutes(1), Duration.ofMillis(200)), Clock.systemUTC());
    signer.maintain();
    assertThat(signer.readiness().ready()).isFalse();
    assertThat(signer.readiness().upstreamUnavailable()).as("a configuration error, not an outage").isFalse();
    assertThatThrownBy(() -> signer.sign(cartRequest(TestPki.ecP256()))).isInstanceOf(CaException.class);
    assertThat(spire.received(MINT)).isEmpty();
  }

  @Test
  void anUnreachableServerAtStartIsNotAStartFailure() throws Exception {
    spire.stop();
    assertThat(local(Duration.ofSeconds(1)).checkTrustDomain()).isFalse();
  }

  @Test
  void serverDownAnswersUnavailableQuicklyAndRecoversByItself() throws Exception {
    UpstreamLeafSigner signer = leafSigner(Duration.ofSeconds(2));
    spire.stop();

    long started = System.nanoTime();
    assertThatThrownBy(() -> signer.sign(cartRequest(TestPki.ecP256())))
        .isInstanceOfSatisfying(CaException.class, e -> assertThat(e.error()).isEqualTo(CaError.UNAVAILABLE));
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(3));
    assertThat(signer.readiness().upstreamUnavailable()).isTrue();
    assertThat(signer.readiness().reason()).contains("MintX509SVID").contains("UNAVAILABLE");
    assertThat(signer.health().up()).isFalse();

    spire.restart();
    Eventually.until(() -> {
      signer.maintain();
      return signer.readiness().ready();
    }, Duration.ofSeconds(10));
    assertThat(signer.sign(cartRequest(TestPki.ecP256()))).isNotEmpty();
  }

  @Test
  void aSlowServerTimesOutAtTheDeadline() throws Exception {
    UpstreamLeafSigner signer = leafSigner(Duration.ofMillis(300));
    spire.delay(Duration.ofSeconds(2));

    long started = System.nanoTime();
    assertThatThrownBy(() -> signer.sign(cartRequest(TestPki.ecP256())))
        .isInstanceOfSatisfying(CaException.class, e -> assertThat(e.error()).isEqualTo(CaError.UNAVAILABLE))
        .hasMessageContaining("DEADLINE_EXCEEDED");
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofMillis(1500));
    spire.delay(Duration.ZERO);
  }

  @Test
  void answersThatDoNotVerifyAreRefusedAndNothingIsHandedOut() throws Exception {
    UpstreamLeafSigner signer = leafSigner(Duration.ofSeconds(2));
    for (SpireServerTestServer.Answer bad : List.of(SpireServerTestServer.Answer.GARBAGE_DER,
        SpireServerTestServer.Answer.WRONG_SAN, SpireServerTestServer.Answer.WRONG_KEY,
        SpireServerTestServer.Answer.FOREIGN_CHAIN)) {
      spire.answer(bad);
      assertThatThrownBy(() -> signer.sign(cartRequest(TestPki.ecP256())))
          .as(bad.name())
          .isInstanceOfSatisfying(CaException.class, e -> assertThat(e.error()).isEqualTo(CaError.INTERNAL))
          .hasMessageContaining(bad == SpireServerTestServer.Answer.GARBAGE_DER ? "not DER certificates"
              : bad == SpireServerTestServer.Answer.WRONG_SAN ? "expected exactly spiffe://cluster.local/ns/shop/sa/cart"
              : bad == SpireServerTestServer.Answer.WRONG_KEY ? "another key"
              : "does not verify to the upstream's trust bundle");
    }
    assertThat(signer.health().failures("invalid-answer")).isEqualTo(4);
  }

  @Test
  void aCsrTheServerRejectsIsARefusalNamingTheRpc() throws Exception {
    UpstreamLeafSigner signer = leafSigner(Duration.ofSeconds(2));
    KeyPair key = TestPki.ecP256();
    SigningRequest twoUris = SigningRequest.workload(CART, key.getPublic(),
        TestPki.Csr.forKey(key).uri(CART.toString()).uri("spiffe://cluster.local/ns/shop/sa/other").build(),
        Duration.ofHours(1));

    assertThatThrownBy(() -> signer.sign(twoUris))
        .isInstanceOfSatisfying(CaException.class, e -> assertThat(e.error()).isEqualTo(CaError.INTERNAL))
        .hasMessageContaining("MintX509SVID: INVALID_ARGUMENT")
        .hasMessageContaining("exactly one URI SAN");
    assertThat(signer.health().failures("refused")).isEqualTo(1);
  }

  @Test
  void intermediateModeGetsADownstreamCaOverMtlsAndRenewsAtHalfLife() throws Exception {
    Path svid = dir.resolve("downstream-svid");
    spire.issueDownstreamSvid(GATEHOUSE_ID, svid);
    MutableClock clock = MutableClock.startingNow();
    UpstreamIntermediateSigner signer = downstreamSigner(svid, null, clock);
    signer.maintain();
    assertThat(signer.readiness().ready()).as(signer.readiness().reason()).isTrue();

    X509Certificate intermediate = signer.signingChain().get(0);
    assertThat(intermediate.getBasicConstraints()).isGreaterThanOrEqualTo(0);
    SpireServerTestServer.Received call = spire.received(DOWNSTREAM).get(0);
    assertThat(call.local()).isFalse();
    assertThat(call.callerId()).as("the downstream X509-SVID, verified by the server").isEqualTo(GATEHOUSE_ID);
    assertThat(((NewDownstreamX509CARequest) call.request()).getPreferredTtl()).isEqualTo(3600);
    for (int i = 0; i < 3; i++) {
      List<X509Certificate> chain = signer.sign(cartRequest(TestPki.ecP256()));
      assertThat(chain.get(1)).isEqualTo(intermediate);
      TrustBundle.of(spire.bundleRoots()).verify(chain, Instant.now());
    }
    assertThat(spire.received(MINT)).as("no SPIRE round trip per CSR").isEmpty();

    clock.advance(Duration.ofMinutes(20));
    signer.maintain();
    assertThat(signer.signingChain().get(0)).as("not due before half-life").isEqualTo(intermediate);
    clock.advance(Duration.ofMinutes(11));
    signer.maintain();
    assertThat(signer.signingChain().get(0)).as("renewed after half-life").isNotEqualTo(intermediate);
  }

  @Test
  void aCallerWithoutADownstreamEntryIsDeniedAndTheCaStaysNotReady() throws Exception {
    Path svid = dir.resolve("plain-svid");
    spire.issueSvid(GATEHOUSE_ID, svid);
    UpstreamIntermediateSigner signer = downstreamSigner(svid, null, Clock.systemUTC());

    assertThat(signer.renew()).isFalse();
    assertThat(signer.readiness().ready()).isFalse();
    assertThat(signer.readiness().reason()).contains("NewDownstreamX509CA: PERMISSION_DENIED");
  }

  @Test
  void aServerPresentingAnotherSpiffeIdIsNotTalkedTo() throws Exception {
    Path svid = dir.resolve("downstream-svid");
    spire.issueDownstreamSvid(GATEHOUSE_ID, svid);
    UpstreamIntermediateSigner signer = downstreamSigner(svid, "spiffe://cluster.local/not/the/server", Clock.systemUTC());

    assertThat(signer.renew()).isFalse();
    assertThat(signer.readiness().ready()).isFalse();
    assertThat(spire.received(DOWNSTREAM)).as("TLS fails before any RPC").isEmpty();
  }

  @Test
  void intermediateModeKeepsSigningWhileTheServerIsDownUntilTheCaExpires() throws Exception {
    Path svid = dir.resolve("downstream-svid");
    spire.issueDownstreamSvid(GATEHOUSE_ID, svid);
    MutableClock clock = MutableClock.startingNow();
    UpstreamIntermediateSigner signer = downstreamSigner(svid, null, clock);
    signer.maintain();
    X509Certificate intermediate = signer.signingChain().get(0);
    spire.stop();

    clock.advance(Duration.ofMinutes(40));
    signer.maintain();
    assertThat(signer.health().up()).isFalse();
    assertThat(signer.readiness().ready()).as("renewal failing, downstream CA still valid").isTrue();
    assertThat(signer.sign(cartRequest(TestPki.ecP256())).get(1)).isEqualTo(intermediate);

    clock.advance(Duration.ofMinutes(25));
    assertThat(signer.readiness().upstreamUnavailable()).isTrue();
    assertThatThrownBy(() -> signer.sign(cartRequest(TestPki.ecP256())))
        .isInstanceOfSatisfying(CaException.class, e -> assertThat(e.error()).isEqualTo(CaError.UNAVAILABLE));
  }

  /** Polling for conditions reached by the signer's own maintenance. */
  static final class Eventually {
    interface Condition {
      boolean holds() throws Exception;
    }

    static void until(Condition condition, Duration timeout) throws Exception {
      long end = System.nanoTime() + timeout.toNanos();
      while (!condition.holds()) {
        if (System.nanoTime() > end) {
          throw new AssertionError("condition not met within " + timeout);
        }
        Thread.sleep(100);
      }
    }
  }
}
