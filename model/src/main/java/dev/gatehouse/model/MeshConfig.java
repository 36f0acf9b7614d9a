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
 * @param defaultServiceExportTo Istio's {@code defaultServiceExportTo}: where a Service without the
 *     {@code networking.istio.io/exportTo} annotation is visible: {@code "*"} (every namespace, Istio's default),
 *     {@code "."} (its own namespace), {@code "~"} (nowhere) or namespace names. Null or empty means {@code ["*"]};
 *     anything else that is not one of these is rejected ({@link IllegalArgumentException}), never read as "*"
 * @param defaultDestinationRuleExportTo Istio's {@code defaultDestinationRuleExportTo}: where a DestinationRule
 *     without {@code exportTo} applies; same values, default and validation as {@code defaultServiceExportTo}
 */
public record MeshConfig(
    String trustDomain,
    List<String> trustDomainAliases,
    String rootNamespace,
    MtlsMode defaultMtlsMode,
    String clusterDomain,
    List<String> defaultServiceExportTo,
    List<String> defaultDestinationRuleExportTo) {

  public MeshConfig {
    Objects.requireNonNull(trustDomain, "trustDomain");
    Objects.requireNonNull(rootNamespace, "rootNamespace");
    trustDomainAliases = trustDomainAliases == null ? List.of() : List.copyOf(trustDomainAliases);
    defaultMtlsMode =
        defaultMtlsMode == null || defaultMtlsMode == MtlsMode.UNSET ? MtlsMode.PERMISSIVE : defaultMtlsMode;
    clusterDomain = clusterDomain == null || clusterDomain.isBlank() ? "cluster.local" : clusterDomain;
    defaultServiceExportTo = defaultServiceExportTo == null || defaultServiceExportTo.isEmpty()
        ? List.of(EXPORT_ALL)
        : List.copyOf(defaultServiceExportTo);
    String problem = exportToProblem(defaultServiceExportTo);
    if (problem != null) {
      throw new IllegalArgumentException("defaultServiceExportTo " + defaultServiceExportTo + ": " + problem);
    }
    defaultDestinationRuleExportTo = defaultDestinationRuleExportTo == null || defaultDestinationRuleExportTo.isEmpty()
        ? List.of(EXPORT_ALL)
        : List.copyOf(defaultDestinationRuleExportTo);
    problem = exportToProblem(defaultDestinationRuleExportTo);
    if (problem != null) {
      throw new IllegalArgumentException(
          "defaultDestinationRuleExportTo " + defaultDestinationRuleExportTo + ": " + problem);
    }
  }

  /** With {@code defaultServiceExportTo}; DestinationRules without exportTo stay visible everywhere. */
  public MeshConfig(
      String trustDomain,
      List<String> trustDomainAliases,
      String rootNamespace,
      MtlsMode defaultMtlsMode,
      String clusterDomain,
      List<String> defaultServiceExportTo) {
    this(trustDomain, trustDomainAliases, rootNamespace, defaultMtlsMode, clusterDomain, defaultServiceExportTo,
        List.of(EXPORT_ALL));
  }

  /** Without {@code defaultServiceExportTo}: every Service is visible mesh-wide unless its annotation says otherwise. */
  public MeshConfig(
      String trustDomain,
      List<String> trustDomainAliases,
      String rootNamespace,
      MtlsMode defaultMtlsMode,
      String clusterDomain) {
    this(trustDomain, trustDomainAliases, rootNamespace, defaultMtlsMode, clusterDomain, List.of(EXPORT_ALL),
        List.of(EXPORT_ALL));
  }

  /** Istio's exportTo values: every namespace. */
  public static final String EXPORT_ALL = "*";
  /** The object's own namespace. */
  public static final String EXPORT_OWN_NAMESPACE = ".";
  /** No namespace. */
  public static final String EXPORT_NONE = "~";

  private static final java.util.regex.Pattern NAMESPACE =
      java.util.regex.Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

  /**
   * Why a list of exportTo values is invalid, or null when it is valid: each value must be {@code "*"}, {@code "."},
   * {@code "~"} or a namespace name (RFC 1123 label), and {@code "~"} cannot be combined with other values.
   */
  public static String exportToProblem(List<String> values) {
    for (String v : values) {
      if (v == null || !(EXPORT_ALL.equals(v) || EXPORT_OWN_NAMESPACE.equals(v) || EXPORT_NONE.equals(v)
          || NAMESPACE.matcher(v).matches())) {
        return "\"" + v + "\" is not \"*\", \".\", \"~\" or a namespace name";
      }
    }
    if (values.contains(EXPORT_NONE) && values.size() > 1) {
      return "\"~\" (export nowhere) cannot be combined with other values";
    }
    return null;
  }

  /** With another {@code defaultServiceExportTo}. */
  public MeshConfig withDefaultServiceExportTo(List<String> exportTo) {
    return new MeshConfig(trustDomain, trustDomainAliases, rootNamespace, defaultMtlsMode, clusterDomain, exportTo,
        defaultDestinationRuleExportTo);
  }

  /** With another {@code defaultDestinationRuleExportTo}. */
  public MeshConfig withDefaultDestinationRuleExportTo(List<String> exportTo) {
    return new MeshConfig(trustDomain, trustDomainAliases, rootNamespace, defaultMtlsMode, clusterDomain,
        defaultServiceExportTo, exportTo);
  }

  public static MeshConfig defaults() {
    return new MeshConfig("cluster.local", List.of(), "istio-system", MtlsMode.PERMISSIVE, "cluster.local");
  }

  /** {@code spiffe://<td>/ns/<ns>/sa/<sa>} in this mesh's trust domain. */
  public String spiffeId(String namespace, String serviceAccount) {
    return "spiffe://" + trustDomain + "/ns/" + namespace + "/sa/" + serviceAccount;
  }
}
