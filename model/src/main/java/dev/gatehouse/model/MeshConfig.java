package dev.gatehouse.model;

import java.util.List;
import java.util.Objects;

/**
 * Mesh-wide settings (Istio's MeshConfig subset that matters for security).
 *
 * @param trustDomain SPIFFE trust domain, e.g. {@code cluster.local}
 * @param trustDomainAliases other trust domains whose identities are accepted as this mesh's
 * @param rootNamespace namespace whose selector-less policies apply mesh-wide (Istio: istio-system)
 * @param defaultMtlsMode mode when no PeerAuthentication sets one; Istio's implicit default is PERMISSIVE
 * @param clusterDomain DNS suffix of services, e.g. {@code cluster.local}
 */
public record MeshConfig(
    String trustDomain,
    List<String> trustDomainAliases,
    String rootNamespace,
    MtlsMode defaultMtlsMode,
    String clusterDomain) {

  public MeshConfig {
    Objects.requireNonNull(trustDomain, "trustDomain");
    Objects.requireNonNull(rootNamespace, "rootNamespace");
    trustDomainAliases = trustDomainAliases == null ? List.of() : List.copyOf(trustDomainAliases);
    defaultMtlsMode =
        defaultMtlsMode == null || defaultMtlsMode == MtlsMode.UNSET ? MtlsMode.PERMISSIVE : defaultMtlsMode;
    clusterDomain = clusterDomain == null || clusterDomain.isBlank() ? "cluster.local" : clusterDomain;
  }

  public static MeshConfig defaults() {
    return new MeshConfig("cluster.local", List.of(), "istio-system", MtlsMode.PERMISSIVE, "cluster.local");
  }

  /** {@code spiffe://<td>/ns/<ns>/sa/<sa>} in this mesh's trust domain. */
  public String spiffeId(String namespace, String serviceAccount) {
    return "spiffe://" + trustDomain + "/ns/" + namespace + "/sa/" + serviceAccount;
  }
}
