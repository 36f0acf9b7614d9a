package dev.gatehouse.posture.report;

import dev.gatehouse.posture.analyze.Finding;
import java.util.List;
import java.util.Map;

/**
 * {@code gatehouse posture}: the mesh's security posture in figures an auditor reads, the same as text, JSON and
 * HTML. Shares are percentages rounded to one decimal (100.0 when there is nothing to count).
 *
 * @param generatedAt ISO-8601 instant the figures were taken at
 * @param source where the mesh was read from
 * @param mesh mesh-wide settings
 * @param workloads pods by proxy, and how many take only mTLS on every port
 * @param ports ports of every pod, and how many take only mTLS
 * @param namespaces per namespace (those with pods, and the root namespace)
 * @param defaultDeny namespaces with pods that sit behind a namespace-wide (or mesh-wide) default deny
 * @param policies policies in force, by kind and action
 * @param findings findings of {@code analyze} by severity, and the findings themselves
 * @param ca what is known of the workload CA
 */
public record PostureReport(
    String generatedAt,
    String source,
    Mesh mesh,
    Workloads workloads,
    Ports ports,
    List<NamespaceRow> namespaces,
    DefaultDeny defaultDeny,
    Policies policies,
    Findings findings,
    Ca ca) {

  public record Mesh(String trustDomain, List<String> trustDomainAliases, String rootNamespace, String mtlsMode,
      String mtlsDecidedBy) {}

  /**
   * @param strict in-mesh pods whose every port takes only mTLS
   * @param strictShare {@code strict} out of {@code total}, percent
   */
  public record Workloads(int total, int sidecar, int proxylessGrpc, int withoutProxy, int strict,
      double strictShare) {}

  /**
   * @param plaintext ports a client without a mesh certificate can connect to (pods without proxy included)
   * @param strictShare {@code strict} out of {@code total}, percent
   */
  public record Ports(int total, int strict, int plaintext, double strictShare) {}

  /**
   * @param mtlsMode the namespace-level mode
   * @param defaultDeny behind a namespace-wide or mesh-wide default deny
   * @param authorizationPolicies AuthorizationPolicies in the namespace (valid and invalid)
   */
  public record NamespaceRow(String name, int workloads, int inMesh, int ports, int strictPorts, double strictShare,
      String mtlsMode, boolean defaultDeny, int authorizationPolicies) {}

  /** @param share {@code covered} out of {@code namespaces}, percent */
  public record DefaultDeny(int namespaces, int covered, double share, List<String> without) {}

  /**
   * @param authorizationPolicies by action (ALLOW, DENY, AUDIT, CUSTOM), every action present
   * @param dryRun AuthorizationPolicies annotated istio.io/dry-run (counted in their action too)
   * @param invalid policies of any kind that did not parse (they fail closed)
   */
  public record Policies(Map<String, Integer> authorizationPolicies, int dryRun, int peerAuthentications,
      int requestAuthentications, int destinationRules, int invalid, int total) {}

  /** @param bySeverity error, warning, info: every severity present */
  public record Findings(Map<String, Integer> bySeverity, int total, List<Finding> list) {}

  /**
   * @param defaultWorkloadCertTtl e.g. {@code 24h}; empty when not known
   * @param rootExpiry the earliest expiry among the roots, ISO-8601; empty when no root is known
   * @param rootDaysLeft whole days until {@code rootExpiry}; -1 when not known
   */
  public record Ca(String mode, String source, String defaultWorkloadCertTtl, String maxWorkloadCertTtl,
      String workloadRotation, String rootRotation, String rootExpiry, long rootDaysLeft,
      List<Certificate> roots, List<Certificate> intermediates) {}

  public record Certificate(String subject, String serial, String notBefore, String notAfter, long daysLeft) {}
}
