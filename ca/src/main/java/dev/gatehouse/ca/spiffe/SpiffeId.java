package dev.gatehouse.ca.spiffe;

import java.net.URI;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A workload's SPIFFE identity in Istio's Kubernetes shape: {@code spiffe://<trust-domain>/ns/<ns>/sa/<sa>}.
 * Immutable.
 */
public record SpiffeId(String trustDomain, String namespace, String serviceAccount) {
  // DNS-1123 labels for namespaces; service account names are DNS-1123 subdomains.
  private static final Pattern TRUST_DOMAIN = Pattern.compile("[a-z0-9][a-z0-9._-]*");
  private static final Pattern NAMESPACE = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  private static final Pattern SERVICE_ACCOUNT = Pattern.compile("[a-z0-9]([-a-z0-9.]*[a-z0-9])?");

  public SpiffeId {
    Objects.requireNonNull(trustDomain, "trustDomain");
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(serviceAccount, "serviceAccount");
    if (!TRUST_DOMAIN.matcher(trustDomain).matches()) {
      throw new IllegalArgumentException("invalid trust domain: " + trustDomain);
    }
    if (!NAMESPACE.matcher(namespace).matches() || namespace.length() > 63) {
      throw new IllegalArgumentException("invalid namespace: " + namespace);
    }
    if (!SERVICE_ACCOUNT.matcher(serviceAccount).matches() || serviceAccount.length() > 253) {
      throw new IllegalArgumentException("invalid service account: " + serviceAccount);
    }
  }

  public static SpiffeId of(String trustDomain, String namespace, String serviceAccount) {
    return new SpiffeId(trustDomain, namespace, serviceAccount);
  }

  /** Parses {@code spiffe://td/ns/<ns>/sa/<sa>}; anything else (other paths, query, port, user info) is empty. */
  public static Optional<SpiffeId> parse(String uri) {
    if (uri == null || !uri.startsWith("spiffe://")) {
      return Optional.empty();
    }
    String rest = uri.substring("spiffe://".length());
    int slash = rest.indexOf('/');
    if (slash <= 0) {
      return Optional.empty();
    }
    String td = rest.substring(0, slash);
    String[] path = rest.substring(slash + 1).split("/", -1);
    if (path.length != 4 || !"ns".equals(path[0]) || !"sa".equals(path[2])) {
      return Optional.empty();
    }
    try {
      return Optional.of(new SpiffeId(td, path[1], path[3]));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** The Kubernetes user name TokenReview reports for this service account. */
  public String kubernetesUserName() {
    return "system:serviceaccount:" + namespace + ":" + serviceAccount;
  }

  public URI toUri() {
    return URI.create(toString());
  }

  @Override
  public String toString() {
    return "spiffe://" + trustDomain + "/ns/" + namespace + "/sa/" + serviceAccount;
  }
}
