package dev.gatehouse.controlplane.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.ca.CaError;
import dev.gatehouse.ca.CaException;
import dev.gatehouse.ca.MutableClock;
import dev.gatehouse.ca.TestPki;
import dev.gatehouse.ca.auth.AuthenticationRequest;
import dev.gatehouse.ca.auth.LocalTokenIssuer;
import dev.gatehouse.ca.auth.TokenReview;
import dev.gatehouse.ca.auth.TokenReviewAuthenticator;
import dev.gatehouse.ca.auth.TokenReviewer;
import dev.gatehouse.ca.csr.CsrValidator;
import dev.gatehouse.ca.csr.SanPolicy;
import dev.gatehouse.ca.server.CaMetrics;
import dev.gatehouse.ca.server.WorkloadCertificateAuthority;
import dev.gatehouse.ca.signer.selfsigned.FileCaSecretStore;
import dev.gatehouse.ca.signer.selfsigned.SelfSignedSigner;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fabric8 TokenReview client against a server speaking the documented TokenReview API. */
class KubernetesTokenReviewerTest {
  private final MutableClock clock = MutableClock.startingNow();
  private final LocalTokenIssuer serviceAccountIssuer = new LocalTokenIssuer(TestPki.ecP256(), "https://kubernetes.default.svc");
  private KubernetesTokenReviewApiServer apiServer;
  private KubernetesClient client;
  private KubernetesTokenReviewer reviewer;

  @BeforeEach
  void start() throws Exception {
    apiServer = new KubernetesTokenReviewApiServer(serviceAccountIssuer, clock);
    client = new KubernetesClientBuilder().withConfig(new ConfigBuilder(Config.empty())
        .withMasterUrl(apiServer.url()).withRequestRetryBackoffLimit(0).withConnectionTimeout(2000).withRequestTimeout(5000)
        .build()).build();
    reviewer = new KubernetesTokenReviewer(client);
  }

  @AfterEach
  void stop() {
    client.close();
    apiServer.close();
  }

  private String token(List<String> audiences, Duration ttl) {
    return serviceAccountIssuer.mint("shop", "cart", audiences, clock.instant(), ttl);
  }

  @Test
  void validTokenIsReviewedAsItsServiceAccount() throws Exception {
    TokenReview review = reviewer.review(token(List.of("istio-ca"), Duration.ofHours(1)), List.of("istio-ca"));
    assertThat(review.authenticated()).isTrue();
    assertThat(review.userName()).isEqualTo("system:serviceaccount:shop:cart");
    assertThat(review.groups()).contains("system:serviceaccounts");
    assertThat(review.audiences()).containsExactly("istio-ca");
  }

  @Test
  void expiredAndWrongAudienceTokensAreUnauthenticated() throws Exception {
    String expiring = token(List.of("istio-ca"), Duration.ofMinutes(1));
    clock.advance(Duration.ofMinutes(2));
    TokenReview expired = reviewer.review(expiring, List.of("istio-ca"));
    assertThat(expired.authenticated()).isFalse();
    assertThat(expired.error()).contains("expired");
    TokenReview wrongAudience = reviewer.review(token(List.of("https://kubernetes.default.svc"), Duration.ofHours(1)), List.of("istio-ca"));
    assertThat(wrongAudience.authenticated()).isFalse();
  }

  @Test
  void serverErrorAndUnreachableServerAreUnavailable() {
    apiServer.failWithStatus = 500;
    assertThatThrownBy(() -> reviewer.review(token(List.of("istio-ca"), Duration.ofHours(1)), List.of("istio-ca")))
        .isInstanceOf(TokenReviewer.UnavailableException.class).hasMessageContaining("500");
    apiServer.close();
    assertThatThrownBy(() -> reviewer.review(token(List.of("istio-ca"), Duration.ofHours(1)), List.of("istio-ca")))
        .isInstanceOf(TokenReviewer.UnavailableException.class);
  }

  @Test
  void apiServerDownMeansUnavailableAndNoCertificate(@TempDir Path state) {
    SelfSignedSigner signer = new SelfSignedSigner(new FileCaSecretStore(state), SelfSignedSigner.Options.defaults("cluster.local"), clock);
    signer.initialize();
    WorkloadCertificateAuthority authority = new WorkloadCertificateAuthority(
        new TokenReviewAuthenticator(reviewer, List.of("istio-ca"), "cluster.local", clock, 100, Duration.ofMinutes(5)),
        new CsrValidator(SanPolicy.STRICT), signer, WorkloadCertificateAuthority.Options.istioDefaults(), CaMetrics.NONE);
    String csr = TestPki.Csr.forKey(TestPki.ecP256()).uri("spiffe://cluster.local/ns/shop/sa/cart").pem();
    String token = token(List.of("istio-ca"), Duration.ofHours(1));

    assertThat(authority.createCertificate(AuthenticationRequest.ofToken(token), csr, 3600)).hasSize(2);
    // Cached: a storm of CSRs with the same token is one review.
    for (int i = 0; i < 20; i++) {
      authority.createCertificate(AuthenticationRequest.ofToken(token), csr, 3600);
    }
    assertThat(apiServer.reviews).hasValue(1);

    apiServer.close();
    String fresh = token(List.of("istio-ca"), Duration.ofHours(2));
    assertThatThrownBy(() -> authority.createCertificate(AuthenticationRequest.ofToken(fresh), csr, 3600))
        .isInstanceOfSatisfying(CaException.class, e -> assertThat(e.error()).isEqualTo(CaError.UNAVAILABLE));
  }
}
