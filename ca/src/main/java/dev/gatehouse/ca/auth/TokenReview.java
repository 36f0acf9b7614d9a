package dev.gatehouse.ca.auth;

import java.util.List;
import java.util.Objects;

/**
 * The status of a Kubernetes {@code authentication.k8s.io/v1 TokenReview}: whether the API server accepted the
 * token for the requested audiences, and as whom.
 */
public record TokenReview(
    boolean authenticated, String userName, List<String> groups, List<String> audiences, String error) {
  public TokenReview {
    userName = Objects.requireNonNullElse(userName, "");
    groups = groups == null ? List.of() : List.copyOf(groups);
    audiences = audiences == null ? List.of() : List.copyOf(audiences);
    error = Objects.requireNonNullElse(error, "");
  }

  public static TokenReview unauthenticated(String error) {
    return new TokenReview(false, "", List.of(), List.of(), error);
  }
}
