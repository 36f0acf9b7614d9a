package dev.gatehouse.xds.server;

import java.util.Optional;

/**
 * Authenticates a Kubernetes service-account JWT presented as {@code authorization: Bearer <token>} on the secure
 * xDS port (the CA's authenticator, adapted). Must be thread-safe; called once per stream.
 */
@FunctionalInterface
public interface BearerTokenAuthenticator {
  /** The identity the token proves, or empty when it proves none. */
  Optional<CallerIdentity> authenticate(String token);

  BearerTokenAuthenticator NONE = token -> Optional.empty();
}
