package dev.gatehouse.ca.auth;

import dev.gatehouse.ca.spiffe.SpiffeId;
import java.util.Objects;

/**
 * Who the caller proved to be, and which authenticator proved it (for audit lines and metrics).
 */
public record CallerIdentity(SpiffeId spiffeId, String authenticator) {
  public CallerIdentity {
    Objects.requireNonNull(spiffeId, "spiffeId");
    Objects.requireNonNull(authenticator, "authenticator");
  }

  public String namespace() {
    return spiffeId.namespace();
  }

  public String serviceAccount() {
    return spiffeId.serviceAccount();
  }
}
