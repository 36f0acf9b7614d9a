package dev.gatehouse.ca.auth;

/**
 * One way of proving a caller's workload identity. Implementations are thread-safe and never throw for bad
 * credentials: they return {@link AuthenticationResult.Rejected}.
 */
public interface CallerAuthenticator {
  /** Short stable name used in audit lines, logs and metrics ({@code client-certificate}, {@code token-review}...). */
  String name();

  AuthenticationResult authenticate(AuthenticationRequest request);
}
