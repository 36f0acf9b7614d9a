package dev.gatehouse.controlplane.ca;

import dev.gatehouse.ca.auth.TokenReview;
import dev.gatehouse.ca.auth.TokenReviewer;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewStatus;
import io.fabric8.kubernetes.api.model.authentication.UserInfo;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.List;
import java.util.Objects;

/**
 * {@link TokenReviewer} through the API server: {@code POST /apis/authentication.k8s.io/v1/tokenreviews} with
 * {@code spec.token} and {@code spec.audiences} (Istio security/pkg/k8s/tokenreview/k8sauthn.go). Any failure to get
 * an answer — connection error, 5xx, or 401/403 because Gatehouse itself lacks the RBAC to review tokens — is
 * {@link TokenReviewer.UnavailableException}: nobody is authenticated, the agent retries, and the log says why.
 * Thread-safe (the fabric8 client is).
 */
public final class KubernetesTokenReviewer implements TokenReviewer {
  private final KubernetesClient client;

  public KubernetesTokenReviewer(KubernetesClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  @Override
  public TokenReview review(String token, List<String> audiences) throws UnavailableException {
    io.fabric8.kubernetes.api.model.authentication.TokenReview request = new TokenReviewBuilder()
        .withNewSpec().withToken(token).withAudiences(audiences).endSpec()
        .build();
    io.fabric8.kubernetes.api.model.authentication.TokenReview response;
    try {
      response = client.authentication().v1().tokenReviews().create(request);
    } catch (KubernetesClientException e) {
      throw new UnavailableException("TokenReview failed" + (e.getCode() > 0 ? " with HTTP " + e.getCode() : "")
          + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      throw new UnavailableException("TokenReview failed: " + e.getMessage(), e);
    }
    TokenReviewStatus status = response == null ? null : response.getStatus();
    if (status == null) {
      return TokenReview.unauthenticated("TokenReview returned no status");
    }
    UserInfo user = status.getUser();
    return new TokenReview(
        Boolean.TRUE.equals(status.getAuthenticated()),
        user == null ? "" : user.getUsername(),
        user == null ? List.of() : user.getGroups(),
        status.getAudiences(),
        status.getError());
  }
}
