package dev.gatehouse.ca.auth;

import dev.gatehouse.ca.spiffe.SpiffeId;
import java.util.Optional;

/** Kubernetes service-account user names: {@code system:serviceaccount:<ns>:<sa>}. */
final class ServiceAccountUser {
  private static final String PREFIX = "system:serviceaccount:";

  private ServiceAccountUser() {}

  static Optional<SpiffeId> toSpiffeId(String userName, String trustDomain) {
    if (userName == null || !userName.startsWith(PREFIX)) {
      return Optional.empty();
    }
    String[] parts = userName.substring(PREFIX.length()).split(":", -1);
    if (parts.length != 2) {
      return Optional.empty();
    }
    try {
      return Optional.of(SpiffeId.of(trustDomain, parts[0], parts[1]));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}
