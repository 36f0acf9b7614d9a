package dev.gatehouse.ca.signer.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Vault PKI signer (leaf and intermediate mode) against {@link VaultTestServer} over real HTTPS. */
class VaultPkiSignerTest {
  private static final SpiffeId CART = SpiffeId.of("cluster.local", "shop", "cart");

  @TempDir Path dir;
  private VaultTestServer vault;
  private final List<AutoCloseable> closing = new ArrayList<>();

  @BeforeEach
  void startVault() throws Exception {
    vault = VaultTestServer.start("pki", new UpstreamTestCa("vault", true), dir)
        .role("gatehouse", VaultTestServer.Role.spiffe("cluster.local"));
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closing) {
      c.close();
    }
    vault.close();
  }

  private VaultSettings settings(VaultSettings.Auth auth) {
    return settings(auth, "", Duration.ofSeconds(2), 3);
  }

  private VaultSettings settings(VaultSettings.Auth auth, String namespace, Duration readTimeout, int attempts) {
    return new VaultSettings(vault.address(), namespace, "pki", "gatehouse", null, vault.caBundle(), Duration.ofSeconds(1),
        readTimeout, attempts, Duration.ofMillis(50), Duration.ofSeconds(5), auth, Duration.ofSeconds(1));
  }

  private VaultSettings.Auth tokenAuth() throws Exception {
    Path file = Files.writeString(dir.resolve("vault-token"), vault.createToken(Duration.ofHours(1), true) + "\n");
    return new VaultSettings.TokenAuth(file, null);
  }

  private UpstreamLeafSigner leafSigner(VaultSettings settings) {
    VaultPkiAuthority authority = new VaultPkiAuthority(settings, Clock.systemUTC());
    closing.add(authority);
    UpstreamLeafSigner signer = new UpstreamLeafSigner(authority,
        new UpstreamLeafSigner.Options(Duration.ofMinutes(1), Duration.ofMillis(200)), Clock.systemUTC());
    signer.maintain();
    return signer;
  }

  private static SigningRequest cartRequest(KeyPair key) {
    return SigningRequest.workload(CART, key.getPublic(), TestPki.Csr.forKey(key).uri(CART.toString()).build(),
        Duration.ofHours(1));
  }

  @Test
  void leafModeSignsTheWorkloadsCsrWithItsSpiffeIdAsUriSan() throws Exception {
    UpstreamLeafSigner signer = leafSigner(settings(tokenAuth()));
    assertThat(signer.readiness().ready()).as(signer.readiness().reason()).isTrue();
    assertThat(signer.trustBundle().roots()).containsExactly(vault.ca().root());

    KeyPair key = TestPki.ecP256();
    List<X509Certificate> chain = signer.sign(cartRequest(key));

    assertThat(chain.get(0).getPublicKey()).isEqualTo(key.getPublic());
    assertThat(chain.get(0).getSubjectAlternativeNames().stream().map(san -> String.valueOf(san.get(1))).toList()).containsExactly(CART.toString());
    assertThat(chain).endsWith(vault.ca().root()).hasSize(3);
    signer.trustBundle().verify(chain, Instant.now());
    VaultTestServer.Received sign = vault.received("pki/sign/gatehouse").get(0);
    assertThat(sign.token()).startsWith("hvs.");
    assertThat(sign.body()).containsEntry("uri_sans", CART.toString()).containsEntry("ttl", "3600s")
        .containsEntry("format", "pem");
    assertThat((String) sign.body().get("csr")).startsWith("-----BEGIN CERTIFICATE REQUEST-----");
  }

  @Test
  void aRootRotationByANewIssuerIsTrustedBeforeItSignsAndTheOldRootLeavesWithItsIssuer() throws Exception {
    UpstreamLeafSigner signer = leafSigner(settings(tokenAuth()));
    List<TrustBundle> announced = new ArrayList<>();
    signer.onTrustBundleChange(announced::add);
    X509Certificate oldRoot = vault.ca().root();
    String oldIssuer = vault.defaultIssuerId();

    UpstreamTestCa next = new UpstreamTestCa("vault-next", true);
    String newIssuer = vault.newIssuer(next, false);
    assertThat(signer.refreshBundle()).isTrue();
    assertThat(signer.trustBundle().roots()).containsExactlyInAnyOrder(oldRoot, next.root());
    assertThat(signer.sign(cartRequest(TestPki.ecP256()))).as("the old issuer still signs").endsWith(oldRoot);

    vault.makeDefault(newIssuer);
    List<X509Certificate> chain = signer.sign(cartRequest(TestPki.ecP256()));
    assertThat(chain).endsWith(next.root());
    TrustBundle.of(List.of(oldRoot, next.root())).verify(chain, Instant.now());
    List<String> answer = signer.issue(cartRequest(TestPki.ecP256())).pem();
    assertThat(PemCodec.decodeCertificates(answer.get(answer.size() - 1)))
        .as("the CSR answer's root element is the whole bundle, its own root first (istiod's form)")
        .containsExactly(next.root(), oldRoot);

    vault.deleteIssuer(oldIssuer);
    signer.refreshBundle();
    assertThat(signer.trustBundle().roots()).containsExactly(next.root());
    answer = signer.issue(cartRequest(TestPki.ecP256())).pem();
    assertThat(PemCodec.decodeCertificates(answer.get(answer.size() - 1))).containsExactly(next.root());
    assertThat(announced).hasSize(2);
    assertThat(vault.received("pki/issuers")).isNotEmpty().allSatisfy(r -> assertThat(r.token()).startsWith("hvs."));
  }

  @Test
  void aVaultWithoutIssuerListingFallsBackToTheDefaultCaChain() throws Exception {
    vault.issuerListing(false);
    UpstreamLeafSigner signer = leafSigner(settings(tokenAuth()));
    assertThat(signer.trustBundle().roots()).containsExactly(vault.ca().root());
    assertThat(vault.received("pki/cert/ca_chain")).hasSize(1);
  }

  @Test
  void aUriSanTheRoleDoesNotAllowIsAnErrorNamingPathAndRole() throws Exception {
    vault.role("gatehouse", VaultTestServer.Role.spiffe("other.domain"));
    UpstreamLeafSigner signer = leafSigner(settings(tokenAuth()));

    assertThatThrownBy(() -> signer.sign(cartRequest(TestPki.ecP256())))
        .isInstanceOfSatisfying(CaException.class, e -> assertThat(e.error()).isEqualTo(CaError.INTERNAL))
        .hasMessageContaining("POST /v1/pki/sign/gatehouse (role gatehouse)")
        .hasMessageContaining("400")
        .hasMessageContaining("URI Subject Alternative Names are not allowed in this role");
    assertThat(signer.readiness().ready()).as("a refusal is configuration, Vault is up").isTrue();
    assertThat(signer.health().failures("refused")).isEqualTo(1);
  }

  @Test
  void kubernetesAuthLogsInWithTheProjectedTokenAndRole() throws Exception {
    Path jwt = Files.writeString(dir.resolve("token"), "eyJ.projected.sa-token");
    vault.kubernetesRole("gatehouse", "eyJ.projected.sa-token");
    UpstreamLeafSigner signer = leafSigner(settings(new VaultSettings.KubernetesAuth("kubernetes", "gatehouse", jwt)));

    signer.sign(cartRequest(TestPki.ecP256()));

    VaultTestServer.Received login = vault.received("auth/kubernetes/login").get(0);
    assertThat(login.body()).containsEntry("role", "gatehouse").containsEntry("jwt", "eyJ.projected.sa-token");
    assertThat(vault.logins()).isEqualTo(1);
  }

  @Test
  void aRefusedLoginIsAClearErrorNothingIsIssuedAndALaterLoginRecovers() throws Exception {
    Path jwt = Files.writeString(dir.resolve("token"), "eyJ.some-other-token");
    vault.kubernetesRole("gatehouse", "eyJ.projected.sa-token");
    UpstreamLeafSigner signer = leafSigner(settings(new VaultSettings.KubernetesAuth("kubernetes", "gatehouse", jwt)));

    assertThat(signer.trustBundle()).as("no token, no CA chain").isNull();
    assertThatThrownBy(() -> signer.sign(cartRequest(TestPki.ecP256()))).isInstanceOf(CaException.class);
    assertThat(signer.readiness().ready()).isFalse();
    assertThat(signer.readiness().reason()).contains("Vault login failed (kubernetes auth at auth/kubernetes, role gatehouse)");
    assertThat(vault.received("pki/sign/gatehouse")).isEmpty();

    // Fixed on the Kubernetes side (kubelet writes the right projected token): the next probe logs in again, re-reading
    // the file, and the CA recovers without a restart.
    int refusedLogins = vault.received("auth/kubernetes/login").size();
    Files.writeString(jwt, "eyJ.projected.sa-token");
    waitUntil(() -> {
      signer.maintain();
      return signer.readiness().ready();
    }, Duration.ofSeconds(5));
    assertThat(vault.received("auth/kubernetes/login")).hasSizeGreaterThan(refusedLogins)
        .last().satisfies(login -> assertThat(login.body()).containsEntry("jwt", "eyJ.projected.sa-token"));
    assertThat(signer.sign(cartRequest(TestPki.ecP256()))).isNotEmpty();
  }

  @Test
  void appRoleLogsInWithRoleIdAndSecretIdFromItsFile() throws Exception {
    Path secret = Files.writeString(dir.resolve("secret-id"), "s3cr3t\n");
    vault.appRole("role-1234", "s3cr3t");
    UpstreamLeafSigner signer = leafSigner(settings(new VaultSettings.AppRoleAuth("approle", "role-1234", secret)));

    signer.sign(cartRequest(TestPki.ecP256()));

    assertThat(vault.received("auth/approle/login").get(0).body()).containsEntry("role_id", "role-1234")
        .containsEntry("secret_id", "s3cr3t");
  }

  @Test
  void theTokenIsRenewedBeforeExpiryAndALoginFollowsItsMaxTtl() throws Exception {
    Path jwt = Files.writeString(dir.resolve("token"), "jwt");
    vault.kubernetesRole("gatehouse", "jwt").tokenTtl(Duration.ofSeconds(3), Duration.ofSeconds(5));
    UpstreamLeafSigner signer = leafSigner(settings(new VaultSettings.KubernetesAuth("kubernetes", "gatehouse", jwt)));
    signer.sign(cartRequest(TestPki.ecP256()));
    assertThat(vault.logins()).isEqualTo(1);

    waitUntil(() -> vault.renewals() >= 1, Duration.ofSeconds(6));
    signer.sign(cartRequest(TestPki.ecP256()));
    waitUntil(() -> {
      signer.sign(cartRequest(TestPki.ecP256()));
      return vault.logins() >= 2;
    }, Duration.ofSeconds(10));
  }

  @Test
  void aRevokedTokenLeadsToOneNewLoginAndTheCallSucceeds() throws Exception {
    Path jwt = Files.writeString(dir.resolve("token"), "jwt");
    vault.kubernetesRole("gatehouse", "jwt");
    UpstreamLeafSigner signer = leafSigner(settings(new VaultSettings.KubernetesAuth("kubernetes", "gatehouse", jwt)));
    signer.sign(cartRequest(TestPki.ecP256()));

    vault.revokeAllTokens();
    signer.sign(cartRequest(TestPki.ecP256()));

    assertThat(vault.logins()).isEqualTo(2);
  }

  @Test
  void theEnterpriseNamespaceHeaderIsSentOnLoginAndPkiCalls() throws Exception {
    Path jwt = Files.writeString(dir.resolve("token"), "jwt");
    vault.kubernetesRole("gatehouse", "jwt").namespace("team-a/mesh");
    UpstreamLeafSigner signer = leafSigner(settings(new VaultSettings.KubernetesAuth("kubernetes", "gatehouse", jwt),
        "team-a/mesh", Duration.ofSeconds(2), 3));

    signer.sign(cartRequest(TestPki.ecP256()));

    assertThat(vault.received()).isNotEmpty().allSatisfy(r -> assertThat(r.namespace()).isEqualTo("team-a/mesh"));
  }

  @Test
  void vaultDownAnswersUnavailableQuicklyAndRecoversByItself() throws Exception {
    UpstreamLeafSigner signer = leafSigner(settings(tokenAuth()));
    vault.stop();

    long started = System.nanoTime();
    assertThatThrownBy(() -> signer.sign(cartRequest(TestPki.ecP256())))
        .isInstanceOfSatisfying(CaException.class, e -> assertThat(e.error()).isEqualTo(CaError.UNAVAILABLE));
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
    assertThat(signer.readiness().upstreamUnavailable()).isTrue();
    assertThat(signer.readiness().reason()).contains("Vault unreachable");
    assertThat(signer.health().up()).isFalse();

    vault.restart();
    waitUntil(() -> {
      signer.maintain();
      return signer.readiness().ready();
    }, Duration.ofSeconds(5));
    assertThat(signer.sign(cartRequest(TestPki.ecP256()))).isNotEmpty();
  }

  @Test
  void aSlowVaultTimesOutWithinTheConfiguredBound() throws Exception {
    UpstreamLeafSigner signer = leafSigner(settings(tokenAuth(), "", Duration.ofMillis(300), 2));
    vault.delay(Duration.ofSeconds(3));

    long started = System.nanoTime();
    assertThatThrownBy(() -> signer.sign(cartRequest(TestPki.ecP256())))
        .isInstanceOfSatisfying(CaException.class, e -> assertThat(e.error()).isEqualTo(CaError.UNAVAILABLE))
        .hasMessageContaining("after 2 attempts");
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofMillis(2500));
    vault.delay(Duration.ZERO);
  }

  @Test
  void fiveHundredsAreRetriedWithBackOffAndGiveUpAfterTheAttempts() throws Exception {
    UpstreamLeafSigner signer = leafSigner(settings(tokenAuth()));
    vault.failNext(2, 503);
    assertThat(signer.sign(cartRequest(TestPki.ecP256()))).isNotEmpty();

    vault.failNext(10, 500);
    int before = vault.received("pki/sign/gatehouse").size();
    assertThatThrownBy(() -> signer.sign(cartRequest(TestPki.ecP256())))
        .isInstanceOfSatisfying(CaException.class, e -> assertThat(e.error()).isEqualTo(CaError.UNAVAILABLE))
        .hasMessageContaining("after 3 attempts");
    assertThat(vault.received("pki/sign/gatehouse").size() - before).isEqualTo(3);
  }

  @Test
  void answersThatDoNotVerifyAreRefusedAndNothingIsHandedOut() throws Exception {
    UpstreamLeafSigner signer = leafSigner(settings(tokenAuth()));
    for (VaultTestServer.Answer bad : List.of(VaultTestServer.Answer.GARBAGE_PEM, VaultTestServer.Answer.WRONG_SAN,
        VaultTestServer.Answer.WRONG_KEY, VaultTestServer.Answer.FOREIGN_CHAIN)) {
      vault.answer(bad);
      assertThatThrownBy(() -> signer.sign(cartRequest(TestPki.ecP256())))
          .as(bad.name())
          .isInstanceOfSatisfying(CaException.class, e -> assertThat(e.error()).isEqualTo(CaError.INTERNAL))
          .hasMessageContaining(bad == VaultTestServer.Answer.GARBAGE_PEM ? "not PEM certificates"
              : bad == VaultTestServer.Answer.WRONG_SAN ? "expected exactly spiffe://cluster.local/ns/shop/sa/cart"
              : bad == VaultTestServer.Answer.WRONG_KEY ? "another key"
              : "does not verify to the upstream's trust bundle");
    }
    assertThat(signer.health().failures("invalid-answer")).isEqualTo(4);
  }

  @Test
  void intermediateModeSignsLocallyAndRenewsAtTheConfiguredFractionOfLife() throws Exception {
    MutableClock clock = MutableClock.startingNow();
    VaultPkiAuthority authority = new VaultPkiAuthority(settings(tokenAuth()), Clock.systemUTC());
    closing.add(authority);
    UpstreamIntermediateSigner signer = new UpstreamIntermediateSigner(authority, new UpstreamIntermediateSigner.Options(
        "cluster.local", Duration.ofHours(1), 0.5, CaKeys.Algorithm.EC_P256, Duration.ofMinutes(5), Duration.ofSeconds(5)), clock);
    signer.maintain();
    assertThat(signer.readiness().ready()).as(signer.readiness().reason()).isTrue();
    X509Certificate intermediate = signer.signingChain().get(0);
    assertThat(intermediate.getBasicConstraints()).isEqualTo(0);
    assertThat(vault.received("pki/root/sign-intermediate").get(0).body())
        .containsEntry("uri_sans", "spiffe://cluster.local").containsEntry("max_path_length", 0);

    for (int i = 0; i < 5; i++) {
      List<X509Certificate> chain = signer.sign(cartRequest(TestPki.ecP256()));
      assertThat(chain.get(1)).isEqualTo(intermediate);
      TrustBundle.of(List.of(vault.ca().root())).verify(chain, Instant.now());
    }
    assertThat(vault.received("pki/sign/gatehouse")).as("no Vault round trip per CSR").isEmpty();

    clock.advance(Duration.ofMinutes(20));
    signer.maintain();
    assertThat(signer.signingChain().get(0)).as("not due before half-life").isEqualTo(intermediate);
    clock.advance(Duration.ofMinutes(11));
    signer.maintain();
    assertThat(signer.signingChain().get(0)).as("renewed after half-life").isNotEqualTo(intermediate);
  }

  @Test
  void intermediateModeKeepsSigningWhileVaultIsDownUntilTheIntermediateExpires() throws Exception {
    MutableClock clock = MutableClock.startingNow();
    VaultPkiAuthority authority = new VaultPkiAuthority(settings(tokenAuth(), "", Duration.ofMillis(500), 1), Clock.systemUTC());
    closing.add(authority);
    UpstreamIntermediateSigner signer = new UpstreamIntermediateSigner(authority, new UpstreamIntermediateSigner.Options(
        "cluster.local", Duration.ofHours(1), 0.5, CaKeys.Algorithm.EC_P256, Duration.ofMinutes(5), Duration.ofSeconds(5)), clock);
    signer.maintain();
    X509Certificate intermediate = signer.signingChain().get(0);
    vault.stop();

    clock.advance(Duration.ofMinutes(40));
    signer.maintain();
    assertThat(signer.health().up()).isFalse();
    assertThat(signer.readiness().ready()).as("renewal failing, intermediate still valid").isTrue();
    assertThat(signer.sign(cartRequest(TestPki.ecP256())).get(1)).isEqualTo(intermediate);

    clock.advance(Duration.ofMinutes(25));
    assertThat(signer.readiness().upstreamUnavailable()).isTrue();
    assertThat(signer.readiness().reason()).contains("expired");
    assertThatThrownBy(() -> signer.sign(cartRequest(TestPki.ecP256())))
        .isInstanceOfSatisfying(CaException.class, e -> assertThat(e.error()).isEqualTo(CaError.UNAVAILABLE));
  }

  @Test
  void anIntermediateUnderAnIssuerThatMayNotSignCasIsRefused() throws Exception {
    vault.ca().constrainIssuer(0);
    VaultPkiAuthority authority = new VaultPkiAuthority(settings(tokenAuth()), Clock.systemUTC());
    closing.add(authority);
    UpstreamIntermediateSigner signer = new UpstreamIntermediateSigner(authority, new UpstreamIntermediateSigner.Options(
        "cluster.local", Duration.ofHours(1), 0.5, CaKeys.Algorithm.EC_P256, Duration.ofMinutes(5), Duration.ofSeconds(5)),
        Clock.systemUTC());
    assertThat(signer.renew()).isFalse();
    assertThat(signer.readiness().reason()).contains("has pathLen 0");
  }

  @Test
  void anIntermediateForAnotherKeyIsRefused() throws Exception {
    VaultPkiAuthority authority = new VaultPkiAuthority(settings(tokenAuth()), Clock.systemUTC());
    closing.add(authority);
    UpstreamIntermediateSigner signer = new UpstreamIntermediateSigner(authority, new UpstreamIntermediateSigner.Options(
        "cluster.local", Duration.ofHours(1), 0.5, CaKeys.Algorithm.EC_P256, Duration.ofMinutes(5), Duration.ofSeconds(5)),
        Clock.systemUTC());
    vault.answer(VaultTestServer.Answer.WRONG_KEY);
    assertThat(signer.renew()).isFalse();
    assertThat(signer.readiness().ready()).isFalse();
    assertThat(signer.readiness().reason()).contains("another key");
  }

  interface Condition {
    boolean holds() throws Exception;
  }

  static void waitUntil(Condition condition, Duration timeout) throws Exception {
    long end = System.nanoTime() + timeout.toNanos();
    while (!condition.holds()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("condition not met within " + timeout);
      }
      Thread.sleep(100);
    }
  }
}
