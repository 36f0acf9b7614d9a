package dev.gatehouse.controlplane.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.gatehouse.api.istio.ca.v1.IstioCertificateRequest;
import dev.gatehouse.api.istio.ca.v1.IstioCertificateResponse;
import dev.gatehouse.api.istio.ca.v1.IstioCertificateServiceGrpc;
import dev.gatehouse.ca.MutableClock;
import dev.gatehouse.ca.TestPki;
import dev.gatehouse.ca.pem.PemCodec;
import dev.gatehouse.ca.server.CaMetrics;
import dev.gatehouse.ca.signer.SigningRequest;
import dev.gatehouse.ca.signer.selfsigned.FileCaSecretStore;
import dev.gatehouse.ca.signer.selfsigned.SelfSignedSigner;
import dev.gatehouse.ca.spiffe.SpiffeId;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.MetadataUtils;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CreateCertificate over real gRPC + TLS, called exactly as istio-agent calls it
 * (security/pkg/nodeagent/caclient/providers/citadel/client.go): dial istiod.istio-system.svc:15012 trusting the
 * mesh root, metadata {@code authorization: Bearer <jwt>} and {@code ClusterID}, a PEM CSR from an ECDSA P-256 key,
 * {@code validity_duration} 86400; then the checks the agent makes on the answer.
 */
class IstioAgentCompatibilityTest {
  private static final String CART = "spiffe://cluster.local/ns/shop/sa/cart";
  private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> CLUSTER_ID = Metadata.Key.of("ClusterID", Metadata.ASCII_STRING_MARSHALLER);

  @TempDir Path state;
  // Starts 13 h in the past so that advancing past the serving certificate's half-life lands on the real "now" the
  // TLS client checks validity against.
  private final MutableClock clock = new MutableClock(java.time.Instant.now().minus(Duration.ofHours(13)));
  private final HealthStatusManager health = new HealthStatusManager();
  private CaServerFixture ca;

  @BeforeEach
  void start() throws Exception {
    ca = new CaServerFixture(state, clock, CaMetrics.NONE, List.of(),
        List.of(CaServerFixture.plaintextService(health.getHealthService().bindService())));
  }

  @AfterEach
  void stop() {
    ca.close();
  }

  private IstioCertificateServiceGrpc.IstioCertificateServiceBlockingStub agentStub(ManagedChannel channel, String token) {
    Metadata headers = new Metadata();
    if (token != null) {
      headers.put(AUTHORIZATION, "Bearer " + token);
    }
    headers.put(CLUSTER_ID, "Kubernetes");
    return IstioCertificateServiceGrpc.newBlockingStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
        .withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  private static IstioCertificateRequest agentRequest(KeyPair key) {
    return IstioCertificateRequest.newBuilder()
        .setCsr(TestPki.Csr.forKey(key).subject("O=").uri(CART).pem())
        .setValidityDuration(86400)
        .setMetadata(Struct.newBuilder().putFields("CertSigner", Value.newBuilder().setStringValue("").build()))
        .build();
  }

  private String cartToken() {
    return ca.tokens.mint("shop", "cart", List.of("istio-ca"), clock.instant(), Duration.ofHours(12));
  }

  /** What istio-agent checks on the response, plus PKIX validation of the chain to the published root. */
  private List<X509Certificate> assertAgentAccepts(IstioCertificateResponse response) throws Exception {
    assertThat(response.getCertChainCount()).as("istio-agent: invalid empty CertChain when <= 1").isGreaterThan(1);
    List<X509Certificate> chain = new ArrayList<>();
    for (String element : response.getCertChainList()) {
      assertThat(element).startsWith("-----BEGIN CERTIFICATE-----\n").endsWith("-----END CERTIFICATE-----\n");
      List<X509Certificate> one = PemCodec.decodeCertificates(element);
      assertThat(one).as("one PEM certificate per element").hasSize(1);
      chain.add(one.get(0));
    }
    X509Certificate leaf = chain.get(0);
    X509Certificate root = chain.get(chain.size() - 1);
    assertThat(leaf.getBasicConstraints()).as("leaf first").isEqualTo(-1);
    assertThat(root.getSubjectX500Principal()).as("root last").isEqualTo(root.getIssuerX500Principal());
    assertThat(ca.published().roots()).contains(root);
    assertThat(leaf.getSubjectAlternativeNames()).containsExactly(List.of(6, CART));
    PKIXParameters pkix = new PKIXParameters(ca.published().trustAnchors());
    pkix.setRevocationEnabled(false);
    pkix.setDate(java.util.Date.from(clock.instant()));
    CertPathValidator.getInstance("PKIX").validate(
        CertificateFactory.getInstance("X.509").generateCertPath(chain.subList(0, chain.size() - 1)), pkix);
    return chain;
  }

  @Test
  void createCertificateExactlyAsIstioAgentDoes() throws Exception {
    KeyPair key = TestPki.ecP256();
    List<X509Certificate> chain = assertAgentAccepts(agentStub(ca.channel(null, null), cartToken()).createCertificate(agentRequest(key)));
    assertThat(chain.get(0).getPublicKey()).isEqualTo(key.getPublic());
    assertThat(Duration.between(chain.get(0).getNotBefore().toInstant(), chain.get(0).getNotAfter().toInstant()))
        .isEqualTo(Duration.ofSeconds(86400 + 120));
  }

  @Test
  void rsaAgentKeyIsServedToo() throws Exception {
    IstioCertificateRequest request = IstioCertificateRequest.newBuilder()
        .setCsr(TestPki.Csr.forKey(TestPki.rsa(2048)).uri(CART).pem()).setValidityDuration(86400).build();
    assertAgentAccepts(agentStub(ca.channel(null, null), cartToken()).createCertificate(request));
  }

  @Test
  void renewalWithTheIssuedClientCertificateNeedsNoToken() throws Exception {
    KeyPair key = TestPki.ecP256();
    List<X509Certificate> first = assertAgentAccepts(agentStub(ca.channel(null, null), cartToken()).createCertificate(agentRequest(key)));
    KeyPair next = TestPki.ecP256();
    ManagedChannel mtls = ca.channel(key.getPrivate(), first.subList(0, first.size() - 1));
    List<X509Certificate> renewed = assertAgentAccepts(agentStub(mtls, null).createCertificate(agentRequest(next)));
    assertThat(renewed.get(0).getPublicKey()).isEqualTo(next.getPublic());
  }

  @Test
  void clientCertificateFromAnotherCaIsRefused() throws Exception {
    SelfSignedSigner other = new SelfSignedSigner(new FileCaSecretStore(state.resolve("other")),
        SelfSignedSigner.Options.defaults("cluster.local"), clock);
    other.initialize();
    KeyPair key = TestPki.ecP256();
    List<X509Certificate> foreign = other.sign(SigningRequest.workload(SpiffeId.of("cluster.local", "shop", "cart"),
        key.getPublic(), null, Duration.ofHours(1)));
    ManagedChannel channel = ca.channel(key.getPrivate(), foreign.subList(0, 1));
    assertThatThrownBy(() -> agentStub(channel, null).createCertificate(agentRequest(TestPki.ecP256())))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isIn(Status.Code.UNAVAILABLE, Status.Code.UNAUTHENTICATED));
  }

  @Test
  void noTokenOverTlsIsUnauthenticated() throws Exception {
    assertThatThrownBy(() -> agentStub(ca.channel(null, null), null).createCertificate(agentRequest(TestPki.ecP256())))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
          assertThat(e.getStatus().getDescription()).contains("no credentials");
        });
  }

  @Test
  void caIsNeverServedOnThePlaintextPort() {
    ManagedChannel plaintext = ca.plaintextChannel();
    assertThat(HealthGrpc.newBlockingStub(plaintext).check(HealthCheckRequest.getDefaultInstance()).getStatus())
        .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    assertThatThrownBy(() -> agentStub(plaintext, cartToken()).createCertificate(agentRequest(TestPki.ecP256())))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED));
  }

  @Test
  void servingCertificateIsRotatedWithoutRestartingTheServer() throws Exception {
    ManagedChannel before = ca.channel(null, null);
    assertAgentAccepts(agentStub(before, cartToken()).createCertificate(agentRequest(TestPki.ecP256())));
    X509Certificate first = ca.keyManager.currentCertificate();
    assertThat(first.getSubjectAlternativeNames()).contains(List.of(2, "istiod.istio-system.svc"));

    assertThat(ca.servingCertificate.renewIfDue()).as("not due before half its life").isFalse();
    clock.advance(Duration.ofHours(13));
    assertThat(ca.servingCertificate.renewIfDue()).isTrue();
    X509Certificate second = ca.keyManager.currentCertificate();
    assertThat(second.getSerialNumber()).isNotEqualTo(first.getSerialNumber());

    // A new connection handshakes with the new certificate; the established one keeps working.
    assertAgentAccepts(agentStub(ca.channel(null, null), cartToken()).createCertificate(agentRequest(TestPki.ecP256())));
    assertAgentAccepts(agentStub(before, cartToken()).createCertificate(agentRequest(TestPki.ecP256())));
  }
}
