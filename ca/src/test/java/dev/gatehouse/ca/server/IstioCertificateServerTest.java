package dev.gatehouse.ca.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.api.istio.ca.v1.IstioCertificateRequest;
import dev.gatehouse.api.istio.ca.v1.IstioCertificateResponse;
import dev.gatehouse.api.istio.ca.v1.IstioCertificateServiceGrpc;
import dev.gatehouse.ca.MutableClock;
import dev.gatehouse.ca.TestPki;
import dev.gatehouse.ca.TestPki.Csr;
import dev.gatehouse.ca.auth.AuthenticationRequest;
import dev.gatehouse.ca.auth.AuthenticatorChain;
import dev.gatehouse.ca.auth.ClientCertificateAuthenticator;
import dev.gatehouse.ca.auth.LocalTokenIssuer;
import dev.gatehouse.ca.auth.TokenReviewAuthenticator;
import dev.gatehouse.ca.csr.CsrValidator;
import dev.gatehouse.ca.csr.SanPolicy;
import dev.gatehouse.ca.pem.PemCodec;
import dev.gatehouse.ca.signer.TrustBundle;
import dev.gatehouse.ca.signer.selfsigned.FileCaSecretStore;
import dev.gatehouse.ca.signer.selfsigned.SelfSignedSigner;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CreateCertificate through a real gRPC stack (in-process transport; the TLS path is covered in control-plane), with
 * the self-signed signer on a real state directory and TokenReview answered like kube-apiserver would.
 */
class IstioCertificateServerTest {
  private static final String CART = "spiffe://cluster.local/ns/shop/sa/cart";
  private final MutableClock clock = MutableClock.startingNow();
  private final LocalTokenIssuer serviceAccountIssuer = new LocalTokenIssuer(TestPki.ecP256(), "https://kubernetes.default.svc");
  private final InMemoryApiServerTokenReviewer apiServer = new InMemoryApiServerTokenReviewer(serviceAccountIssuer, clock);
  private final CountingCaMetrics metrics = new CountingCaMetrics();
  @TempDir Path state;
  private SelfSignedSigner signer;
  private WorkloadCertificateAuthority authority;
  private Server server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    signer = new SelfSignedSigner(new FileCaSecretStore(state), SelfSignedSigner.Options.defaults("cluster.local"), clock);
    signer.initialize();
    AuthenticatorChain authenticators = new AuthenticatorChain(List.of(
        new ClientCertificateAuthenticator(signer::trustBundle, "cluster.local", clock),
        new TokenReviewAuthenticator(apiServer, List.of("istio-ca"), "cluster.local", clock, 1000, Duration.ofHours(1))));
    authority = new WorkloadCertificateAuthority(authenticators, new CsrValidator(SanPolicy.STRICT), signer,
        WorkloadCertificateAuthority.Options.istioDefaults(), metrics);
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).directExecutor()
        .addService(ServerInterceptors.intercept(new IstioCertificateServer(authority), new CallerCredentialsInterceptor()))
        .build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.shutdownNow();
  }

  private String token(String namespace, String serviceAccount, List<String> audiences, Duration ttl) {
    return serviceAccountIssuer.mint(namespace, serviceAccount, audiences, clock.instant(), ttl);
  }

  private String cartToken() {
    return token("shop", "cart", List.of("istio-ca"), Duration.ofHours(12));
  }

  private IstioCertificateResponse call(String token, String csr, long validity) {
    IstioCertificateServiceGrpc.IstioCertificateServiceBlockingStub stub = IstioCertificateServiceGrpc.newBlockingStub(channel);
    if (token != null) {
      Metadata headers = new Metadata();
      headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
      stub = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }
    return stub.createCertificate(IstioCertificateRequest.newBuilder().setCsr(csr).setValidityDuration(validity).build());
  }

  private static String ecCsr() {
    return Csr.forKey(TestPki.ecP256()).uri(CART).pem();
  }

  private void assertRefused(String token, String csr, long validity, Status.Code code, String reason) {
    assertThatThrownBy(() -> call(token, csr, validity))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(code);
          assertThat(e.getStatus().getDescription()).contains(reason).doesNotContain("Exception").doesNotContain("\tat ");
        });
  }

  private List<X509Certificate> certificates(IstioCertificateResponse response) throws Exception {
    List<X509Certificate> chain = new ArrayList<>();
    for (String pem : response.getCertChainList()) {
      List<X509Certificate> one = PemCodec.decodeCertificates(pem);
      assertThat(one).hasSize(1);
      assertThat(pem).endsWith("\n");
      chain.add(one.get(0));
    }
    return chain;
  }

  /** The JDK's PKIX validator, anchored at the published root-cert.pem. */
  private void assertPkixValid(List<X509Certificate> chain) throws Exception {
    TrustBundle published = TrustBundle.of(PemCodec.decodeCertificates(
        java.nio.file.Files.readString(state.resolve("istio-ca-secret/root-cert.pem"))));
    Set<TrustAnchor> anchors = published.trustAnchors();
    PKIXParameters parameters = new PKIXParameters(anchors);
    parameters.setRevocationEnabled(false);
    CertPathValidator.getInstance("PKIX").validate(
        CertificateFactory.getInstance("X.509").generateCertPath(chain.subList(0, chain.size() - 1)), parameters);
    assertThat(chain.get(chain.size() - 1)).isEqualTo(published.roots().get(0));
  }

  @Test
  void ecCsrWithServiceAccountTokenGetsAnX509Svid() throws Exception {
    Instant before = clock.instant();
    List<X509Certificate> chain = certificates(call(cartToken(), ecCsr(), 3600));
    assertThat(chain).hasSize(2);
    assertPkixValid(chain);
    X509Certificate leaf = chain.get(0);
    assertThat(leaf.getSubjectX500Principal().getName()).isEmpty();
    assertThat(leaf.getCriticalExtensionOIDs()).contains(Extension.subjectAlternativeName.getId());
    assertThat(leaf.getSubjectAlternativeNames()).containsExactly(List.of(6, CART));
    assertThat(leaf.getBasicConstraints()).isEqualTo(-1);
    boolean[] keyUsage = leaf.getKeyUsage();
    assertThat(keyUsage[0]).as("digitalSignature").isTrue();
    assertThat(keyUsage[2]).as("keyEncipherment only for RSA").isFalse();
    assertThat(leaf.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
    assertThat(leaf.getExtensionValue(Extension.subjectKeyIdentifier.getId())).isNotNull();
    assertThat(leaf.getExtensionValue(Extension.authorityKeyIdentifier.getId())).isNotNull();
    assertThat(leaf.getSerialNumber().bitLength()).isBetween(100, 128);
    assertThat(leaf.getNotBefore().toInstant()).isEqualTo(before.minus(Duration.ofMinutes(2)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
    assertThat(leaf.getNotAfter().toInstant()).isEqualTo(before.plusSeconds(3600).truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
    assertThat(metrics.get("citadel_server_success_cert_issuance_count")).isEqualTo(1);
  }

  @Test
  void rsaCsrGetsKeyEnciphermentToo() throws Exception {
    String csr = Csr.forKey(TestPki.rsa(2048)).uri(CART).pem();
    List<X509Certificate> chain = certificates(call(cartToken(), csr, 0));
    assertPkixValid(chain);
    assertThat(chain.get(0).getKeyUsage()[2]).isTrue();
    assertThat(chain.get(0).getPublicKey().getAlgorithm()).isEqualTo("RSA");
  }

  @Test
  void zeroAndNegativeTtlGetTheDefaultTwentyFourHours() throws Exception {
    for (long ttl : new long[] {0, -5}) {
      X509Certificate leaf = certificates(call(cartToken(), ecCsr(), ttl)).get(0);
      assertThat(Duration.between(clock.instant(), leaf.getNotAfter().toInstant()).toHours()).isEqualTo(23);
      assertThat(Duration.between(leaf.getNotBefore().toInstant(), leaf.getNotAfter().toInstant()).toMinutes()).isEqualTo(24 * 60 + 2);
    }
  }

  @Test
  void ttlAboveTheMaximumIsRejectedNotClamped() {
    assertRefused(cartToken(), ecCsr(), Duration.ofDays(91).toSeconds(), Status.Code.INVALID_ARGUMENT, "max allowed TTL");
    assertThat(metrics.get("citadel_server_csr_sign_err_count")).isEqualTo(1);
  }

  @Test
  void notAfterNeverPassesTheSignersNotAfter() throws Exception {
    clock.advance(Duration.ofDays(3650 - 30));
    X509Certificate leaf = certificates(call(token("shop", "cart", List.of("istio-ca"), Duration.ofHours(1)), ecCsr(),
        Duration.ofDays(60).toSeconds())).get(0);
    assertThat(leaf.getNotAfter()).isEqualTo(signer.signingChain().get(0).getNotAfter());
  }

  @Test
  void noTokenIsUnauthenticated() {
    assertRefused(null, ecCsr(), 3600, Status.Code.UNAUTHENTICATED, "no credentials");
    assertThat(metrics.get("citadel_server_authentication_failure_count")).isEqualTo(1);
  }

  @Test
  void expiredTokenIsUnauthenticated() {
    String token = token("shop", "cart", List.of("istio-ca"), Duration.ofMinutes(10));
    clock.advance(Duration.ofMinutes(11));
    assertRefused(token, ecCsr(), 3600, Status.Code.UNAUTHENTICATED, "expired");
  }

  @Test
  void tokenForAnotherAudienceIsUnauthenticated() {
    assertRefused(token("shop", "cart", List.of("https://kubernetes.default.svc"), Duration.ofHours(1)), ecCsr(), 3600,
        Status.Code.UNAUTHENTICATED, "audience");
  }

  @Test
  void tokenTheApiServerRejectsIsUnauthenticated() {
    String forged = new LocalTokenIssuer(TestPki.ecP256(), "https://kubernetes.default.svc")
        .mint("shop", "cart", List.of("istio-ca"), clock.instant(), Duration.ofHours(1));
    assertRefused(forged, ecCsr(), 3600, Status.Code.UNAUTHENTICATED, "not authenticated by the API server");
  }

  @Test
  void apiServerDownIsUnavailableAndNothingIsIssued() {
    apiServer.down = true;
    assertRefused(cartToken(), ecCsr(), 3600, Status.Code.UNAVAILABLE, "TokenReview unavailable");
    assertThat(metrics.get("citadel_server_success_cert_issuance_count")).isZero();
  }

  @Test
  void csrForAnotherServiceAccountIsPermissionDenied() {
    String csr = Csr.forKey(TestPki.ecP256()).uri("spiffe://cluster.local/ns/shop/sa/payments").pem();
    assertRefused(cartToken(), csr, 3600, Status.Code.PERMISSION_DENIED, "payments");
    assertThat(metrics.get("gatehouse_ca_csr_denied_count")).isEqualTo(1);
  }

  @Test
  void extraDnsSanIsPermissionDenied() {
    String csr = Csr.forKey(TestPki.ecP256()).uri(CART).dns("cart.shop.svc.cluster.local").pem();
    assertRefused(cartToken(), csr, 3600, Status.Code.PERMISSION_DENIED, "DNS SAN");
  }

  @Test
  void caTrueCsrIsPermissionDenied() {
    String csr = Csr.forKey(TestPki.ecP256()).uri(CART).extension(Extension.basicConstraints, true, new BasicConstraints(true)).pem();
    assertRefused(cartToken(), csr, 3600, Status.Code.PERMISSION_DENIED, "CA:true");
  }

  @Test
  void badCsrsAreInvalidArgumentsWithAReason() {
    assertRefused(cartToken(), Csr.forKey(TestPki.rsa(1024)).uri(CART).pem(), 3600, Status.Code.INVALID_ARGUMENT, "2048");
    KeyPair key = TestPki.ecP256();
    assertRefused(cartToken(), Csr.forKey(key).uri(CART).signedBy(TestPki.ecP256().getPrivate()).pem(), 3600,
        Status.Code.INVALID_ARGUMENT, "proof of possession");
    assertRefused(cartToken(), "hello", 3600, Status.Code.INVALID_ARGUMENT, "not PEM");
    assertRefused(cartToken(), ecCsr() + " ".repeat(70_000), 3600, Status.Code.INVALID_ARGUMENT, "larger than");
    assertThat(metrics.get("citadel_server_csr_parsing_err_count")).isEqualTo(4);
    assertThat(metrics.get("citadel_server_success_cert_issuance_count")).isZero();
  }

  @Test
  void clientCertificateRenewalIsAuthenticatedByTheIssuedCertificate() throws Exception {
    KeyPair key = TestPki.ecP256();
    List<X509Certificate> first = certificates(call(cartToken(), Csr.forKey(key).uri(CART).pem(), 3600));
    List<String> renewed = authority.createCertificate(AuthenticationRequest.ofPeerChain(first), ecCsr(), 3600);
    X509Certificate leaf = PemCodec.decodeCertificates(renewed.get(0)).get(0);
    assertThat(leaf.getSubjectAlternativeNames()).containsExactly(List.of(6, CART));
    // The renewing identity is the certificate's, so it cannot ask for another one.
    String other = Csr.forKey(TestPki.ecP256()).uri("spiffe://cluster.local/ns/shop/sa/payments").pem();
    assertThatThrownBy(() -> authority.createCertificate(AuthenticationRequest.ofPeerChain(first), other, 3600))
        .hasMessageContaining("payments");
  }

  @Test
  void certificateFromAnotherCaIsRefused() throws Exception {
    SelfSignedSigner otherCa = new SelfSignedSigner(new FileCaSecretStore(state.resolve("other")),
        SelfSignedSigner.Options.defaults("cluster.local"), clock);
    otherCa.initialize();
    List<X509Certificate> foreign = otherCa.sign(dev.gatehouse.ca.signer.SigningRequest.workload(
        dev.gatehouse.ca.spiffe.SpiffeId.of("cluster.local", "shop", "cart"), TestPki.ecP256().getPublic(), null, Duration.ofHours(1)));
    assertThatThrownBy(() -> authority.createCertificate(AuthenticationRequest.ofPeerChain(foreign), ecCsr(), 3600))
        .isInstanceOfSatisfying(dev.gatehouse.ca.CaException.class,
            e -> assertThat(e.error()).isEqualTo(dev.gatehouse.ca.CaError.UNAUTHENTICATED))
        .hasMessageContaining("does not chain to the trust bundle");
  }

  @Test
  void caNotReadyIsInternal() {
    SelfSignedSigner uninitialized = new SelfSignedSigner(new FileCaSecretStore(state.resolve("empty")),
        SelfSignedSigner.Options.defaults("cluster.local"), clock);
    WorkloadCertificateAuthority notReady = new WorkloadCertificateAuthority(
        new TokenReviewAuthenticator(apiServer, List.of("istio-ca"), "cluster.local", clock, 10, Duration.ofHours(1)),
        new CsrValidator(SanPolicy.STRICT), uninitialized, WorkloadCertificateAuthority.Options.istioDefaults(), metrics);
    assertThatThrownBy(() -> notReady.createCertificate(AuthenticationRequest.ofToken(cartToken()), ecCsr(), 3600))
        .isInstanceOfSatisfying(dev.gatehouse.ca.CaException.class,
            e -> assertThat(e.error()).isEqualTo(dev.gatehouse.ca.CaError.INTERNAL))
        .hasMessage("CA is not ready");
  }
}
