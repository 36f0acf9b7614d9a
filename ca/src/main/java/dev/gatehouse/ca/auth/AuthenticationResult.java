package dev.gatehouse.ca.auth;

import java.util.Objects;

/**
 * What one authenticator (or the whole chain) concluded. Only {@link Authenticated} grants anything.
 */
public sealed interface AuthenticationResult {
  /** The credentials prove {@code identity}. */
  record Authenticated(CallerIdentity identity) implements AuthenticationResult {
    public Authenticated {
      Objects.requireNonNull(identity, "identity");
    }
  }

  /** The credentials this authenticator looks at are absent (no token, no client certificate). */
  record NotApplicable(String authenticator) implements AuthenticationResult {}

  /** The credentials were presented and are not good enough; {@code reason} is safe to log and return. */
  record Rejected(String authenticator, String reason) implements AuthenticationResult {}

  /** The authenticator could not decide because a dependency is down; the caller should retry. */
  record Unavailable(String authenticator, String reason) implements AuthenticationResult {}

  static AuthenticationResult authenticated(CallerIdentity identity) {
    return new Authenticated(identity);
  }
}
