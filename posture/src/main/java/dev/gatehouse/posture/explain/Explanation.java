package dev.gatehouse.posture.explain;

import java.util.List;

/**
 * The answer to an {@link ExplainRequest}, worked out on the resources both proxies receive.
 *
 * @param verdict {@code ALLOW}, {@code DENY}, or {@code UNDECIDED} (a CUSTOM provider decides, or the config holds
 *     something the evaluator does not model: never guessed as allowed)
 * @param reason one sentence
 * @param protocol {@code http} or {@code tcp}: how the destination's filter chain handles the bytes
 * @param destinationProxy {@code sidecar}, {@code proxyless gRPC} or {@code none}
 * @param client who calls and how its connection leaves
 * @param connection which listener and filter chain take the connection, and whether mTLS is negotiated
 * @param filters the security filters walked, in order, up to the one that decided
 * @param decidedBy the object that decided
 * @param notes what else is worth knowing (audit and dry-run matches, assumptions)
 */
public record Explanation(
    String verdict,
    String reason,
    String destination,
    int port,
    String protocol,
    String destinationProxy,
    Client client,
    Connection connection,
    List<FilterStep> filters,
    Decider decidedBy,
    List<String> notes) {

  public static final String ALLOW = "ALLOW";
  public static final String DENY = "DENY";
  public static final String UNDECIDED = "UNDECIDED";

  /**
   * @param who the calling pod or identity, or "a client without mesh identity"
   * @param principal the SPIFFE ID it presents; empty for none
   * @param sourceIp its address as the destination sees it; empty when unknown
   * @param sends {@code mTLS}, {@code plaintext} or {@code TLS without a mesh certificate}
   * @param via the client-side config that decided it (a cluster and its transport socket)
   */
  public record Client(String who, String principal, String sourceIp, String sends, String via) {}

  /**
   * @param listener the destination proxy's listener; empty when there is no proxy
   * @param filterChain the chain selected; empty when the connection is refused
   * @param mtls mutual TLS is negotiated with the destination's proxy
   * @param peerPrincipal the identity the destination's filters see; empty for none
   */
  public record Connection(String listener, String filterChain, boolean mtls, String peerPrincipal) {}

  /**
   * One security filter as evaluated.
   *
   * @param type rbac, ext_authz, jwt_authn, router or tcp_proxy
   * @param action the RBAC action (ALLOW, DENY, LOG)
   * @param result PASS or DENY
   * @param matchedPolicy the RBAC policy (rule) that matched, {@code ns[..]-policy[..]-rule[..]}
   * @param matchedShadowPolicy the dry-run/CUSTOM shadow rule that matched
   * @param policies every RBAC rule of the filter, in evaluation order
   */
  public record FilterStep(
      String filter,
      String type,
      String action,
      String result,
      String matchedPolicy,
      String matchedShadowPolicy,
      List<String> policies,
      String detail) {}

  /**
   * @param kind AuthorizationPolicy, RequestAuthentication, PeerAuthentication, DestinationRule, or empty
   * @param policy {@code namespace/name} (or the mesh default); empty when nothing decided
   * @param action the policy's action, for AuthorizationPolicies
   * @param rule the rule index, -1 when no single rule decided
   * @param ruleSpec that rule as JSON; null when none
   */
  public record Decider(String kind, String policy, String action, int rule, Object ruleSpec) {
    public static Decider none() {
      return new Decider("", "", "", -1, null);
    }
  }
}
