package dev.gatehouse.ca.auth;

import java.util.List;

/**
 * Asks the Kubernetes API server whether a token is valid ({@code POST
 * /apis/authentication.k8s.io/v1/tokenreviews} with {@code spec.token} and {@code spec.audiences}).
 * Implementations are thread-safe.
 */
public interface TokenReviewer {
  /**
   * @throws UnavailableException when the API server cannot be reached or answers with a server error: the
   *     caller must not be authenticated and should retry
   */
  TokenReview review(String token, List<String> audiences) throws UnavailableException;

  /** The review could not be performed. */
  final class UnavailableException extends Exception {
    public UnavailableException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
