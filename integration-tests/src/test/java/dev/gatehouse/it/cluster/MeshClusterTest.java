package dev.gatehouse.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The fake cluster behaves like the parts of a real one Gatehouse relies on: Istio resources are served under
 * their CRDs, pods keep their IPs, EndpointSlices are written per Service, and TokenReview answers as
 * kube-apiserver does for valid, wrong-audience, expired and forged tokens.
 */
class MeshClusterTest {
  private static MeshCluster cluster;
  private static ServiceAccountTokenIssuer tokens;

  @BeforeAll
  static void start() throws Exception {
    cluster = MeshCluster.start();
    tokens = new ServiceAccountTokenIssuer();
    tokens.serveOn(cluster.server());
    cluster.namespace("shop", Map.of());
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  @Test
  void istioResourcesAndPodsAreServedLikeInACluster() {
    cluster.apply("""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: allow-frontend, namespace: shop}
        spec:
          action: ALLOW
          rules:
          - from:
            - source: {principals: ["cluster.local/ns/shop/sa/frontend"]}
        """);
    GenericKubernetesResource read = cluster.client().genericKubernetesResources(new ResourceDefinitionContext.Builder()
            .withGroup("security.istio.io").withVersion("v1").withKind("AuthorizationPolicy")
            .withPlural("authorizationpolicies").withNamespaced(true).build())
        .inNamespace("shop").withName("allow-frontend").get();
    assertThat(read).isNotNull();
    assertThat(read.getAdditionalProperties().get("spec").toString()).contains("cluster.local/ns/shop/sa/frontend");

    MeshPod pod = new MeshPod("shop", "echo-0", "echo", "127.0.0.40", Map.of("app", "echo"), 8080);
    cluster.pod(pod);
    assertThat(cluster.readPod(pod).getStatus().getPodIP()).isEqualTo("127.0.0.40");
    assertThat(cluster.client().serviceAccounts().inNamespace("shop").withName("echo").get()).isNotNull();

    cluster.service("shop", "echo", 8080);
    cluster.endpointsOf("shop", "echo", 8080, List.of(pod));
    cluster.endpointsOf("shop", "echo", 8080, List.of());
    assertThat(cluster.client().discovery().v1().endpointSlices().inNamespace("shop").withName("echo-slice").get()
        .getEndpoints()).isEmpty();
  }

  @Test
  void tokenReviewAuthenticatesServiceAccountTokensForTheirAudience() {
    String token = tokens.mint("shop", "frontend", List.of("istio-ca"), Duration.ofHours(1));

    TokenReview ok = review(token, List.of("istio-ca"));
    assertThat(ok.getStatus().getAuthenticated()).isTrue();
    assertThat(ok.getStatus().getUser().getUsername()).isEqualTo("system:serviceaccount:shop:frontend");
    assertThat(ok.getStatus().getAudiences()).containsExactly("istio-ca");

    assertThat(review(token, List.of("some-other-audience")).getStatus().getAuthenticated()).isFalse();
    assertThat(review(tokens.mint("shop", "frontend", List.of("istio-ca"), Duration.ofSeconds(-5)), List.of("istio-ca"))
        .getStatus().getAuthenticated()).isFalse();
  }

  @Test
  void tokenReviewRefusesATokenFromAnotherIssuer() throws Exception {
    String forged = new ServiceAccountTokenIssuer().mint("shop", "frontend", List.of("istio-ca"), Duration.ofHours(1));
    TokenReview review = review(forged, List.of("istio-ca"));
    assertThat(review.getStatus().getAuthenticated()).isFalse();
    assertThat(review.getStatus().getError()).isNotBlank();
  }

  private static TokenReview review(String token, List<String> audiences) {
    return cluster.client().resource(new TokenReviewBuilder()
        .withNewSpec().withToken(token).withAudiences(audiences).endSpec().build()).create();
  }
}
