package dev.gatehouse.model;

import java.util.Optional;

/** The Istio resource kinds Gatehouse reads, with the API groups and versions accepted for each. */
public enum PolicyKind {
  PEER_AUTHENTICATION("security.istio.io", "PeerAuthentication", "peerauthentications"),
  AUTHORIZATION_POLICY("security.istio.io", "AuthorizationPolicy", "authorizationpolicies"),
  REQUEST_AUTHENTICATION("security.istio.io", "RequestAuthentication", "requestauthentications"),
  DESTINATION_RULE("networking.istio.io", "DestinationRule", "destinationrules");

  private final String group;
  private final String kind;
  private final String plural;

  PolicyKind(String group, String kind, String plural) {
    this.group = group;
    this.kind = kind;
    this.plural = plural;
  }

  public String group() {
    return group;
  }

  public String kind() {
    return kind;
  }

  public String plural() {
    return plural;
  }

  /** Versions served for this kind by Istio's CRDs; Gatehouse accepts all of them. */
  public java.util.List<String> versions() {
    return this == DESTINATION_RULE ? java.util.List.of("v1", "v1beta1", "v1alpha3") : java.util.List.of("v1", "v1beta1");
  }

  public static Optional<PolicyKind> fromKind(String group, String kind) {
    for (PolicyKind k : values()) {
      if (k.kind.equals(kind) && k.group.equals(group)) {
        return Optional.of(k);
      }
    }
    return Optional.empty();
  }
}
