package dev.gatehouse.posture.describe;

import java.util.List;

/**
 * {@code gatehouse describe <namespace/pod>}: what protects one pod, as the translation decided it.
 *
 * @param workload {@code namespace/name}
 * @param proxy {@code sidecar}, {@code proxyless gRPC} or {@code none}
 * @param mtlsMode the workload-level mode (ports without an override)
 * @param mtlsDecidedBy the PeerAuthentication (or mesh default) that decided it
 * @param ports per port: the mode, what decided it, and what the proxy's listener accepts
 * @param authorizationPolicies the AuthorizationPolicies that apply (DENY, ALLOW, AUDIT, CUSTOM), with their rules
 * @param requestAuthentications the RequestAuthentications that apply, with their JWT rules
 * @param services the Services that select the pod
 * @param errors translation errors of the pod's config (policies that fail closed for it)
 * @param notices what the translation did that an operator should know
 */
public record WorkloadDescription(
    String workload,
    String proxy,
    String ip,
    String serviceAccount,
    Identity identity,
    String mtlsMode,
    String mtlsDecidedBy,
    List<PortMode> ports,
    List<PolicyInEffect> authorizationPolicies,
    List<PolicyInEffect> requestAuthentications,
    List<String> services,
    List<String> errors,
    List<String> notices) {

  /**
   * The certificate the pod's agent obtains.
   *
   * @param spiffeId the URI SAN the CA signs for the pod's service account
   * @param acceptedAs the same identity in the trust-domain aliases, which policies also accept
   * @param certificateTtl the lifetime the CA grants when the agent asks for none; empty when not known
   * @param rotation how it is renewed
   */
  public record Identity(String spiffeId, List<String> acceptedAs, String certificateTtl, String rotation) {}

  /**
   * One inbound port.
   *
   * @param protocol the Service port protocol ({@code HTTP}, {@code HTTP2}, {@code TCP}, {@code AUTO}), or
   *     {@code passthrough} for a port no Service targets
   * @param mode the effective peer-authentication mode
   * @param decidedBy the PeerAuthentication (port-level entry, workload, namespace, mesh) or option that decided it
   * @param acceptsMtls the proxy's listener has a chain terminating mesh mTLS on this port
   * @param acceptsPlaintext the listener has a chain for clients without a mesh certificate
   * @param chains the filter chains those connections land on
   */
  public record PortMode(
      int port,
      String protocol,
      String mode,
      String decidedBy,
      boolean acceptsMtls,
      boolean acceptsPlaintext,
      List<String> chains,
      List<String> services) {}

  /**
   * One policy that applies.
   *
   * @param policy {@code namespace/name}
   * @param action ALLOW, DENY, AUDIT, CUSTOM (AuthorizationPolicy) or empty (RequestAuthentication)
   * @param scope how far it reaches ("namespace shop", "workloads {app=cart}", "mesh-wide (root namespace)")
   * @param dryRun {@code istio.io/dry-run}: evaluated, logged, never enforced
   * @param provider the CUSTOM provider
   * @param problem why it does not translate (then it fails closed); empty when it does
   * @param rules the spec's rules (AuthorizationPolicy) or jwtRules (RequestAuthentication), as JSON
   */
  public record PolicyInEffect(
      String policy,
      String action,
      String scope,
      boolean dryRun,
      String provider,
      String problem,
      List<Object> rules) {}
}
