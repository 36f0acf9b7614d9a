package dev.gatehouse.posture;

import dev.gatehouse.api.istio.security.v1beta1.AuthorizationPolicy;
import dev.gatehouse.api.istio.security.v1beta1.Rule;
import dev.gatehouse.model.InvalidPolicy;
import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.model.Policy;
import dev.gatehouse.model.PolicyKind;
import java.util.List;
import java.util.Map;

/** Facts about AuthorizationPolicies that describe, analyze and the posture report share. Pure static functions. */
public final class AuthorizationFacts {
  private static final List<String> TRUE = List.of("1", "t", "T", "true", "TRUE", "True");

  private AuthorizationFacts() {}

  /** Istio's {@code istio.io/dry-run} annotation (strconv.ParseBool's true values): evaluated and logged, never enforced. */
  public static boolean dryRun(Map<String, String> annotations) {
    String v = annotations.get("istio.io/dry-run");
    return v != null && TRUE.contains(v);
  }

  /**
   * Whether {@code p} puts its namespace (in the root namespace: the mesh) behind a default deny: a namespace-wide
   * ALLOW policy (Istio: once an ALLOW policy applies, whatever it does not allow is denied; {@code spec: {}} is the
   * canonical allow-nothing) or a namespace-wide DENY with a rule that matches everything. Dry-run policies enforce
   * nothing and do not count.
   */
  public static boolean defaultDeny(Policy<AuthorizationPolicy> p) {
    AuthorizationPolicy spec = p.spec();
    if (!AppliedPolicies.selector(spec).isEmpty() || !AppliedPolicies.targetRefs(spec).isEmpty()
        || dryRun(p.meta().annotations())) {
      return false;
    }
    return switch (spec.getAction()) {
      case ALLOW -> true;
      case DENY -> spec.getRulesList().stream().anyMatch(r -> r.equals(Rule.getDefaultInstance()));
      default -> false;
    };
  }

  /** A namespace-wide AuthorizationPolicy that did not parse fails closed (it denies), so it is a default deny too. */
  public static boolean defaultDeny(InvalidPolicy p) {
    return p.kind() == PolicyKind.AUTHORIZATION_POLICY && p.selector().map(Map::isEmpty).orElse(true)
        && !p.action().equals("AUDIT") && !p.action().equals("CUSTOM") && !dryRun(p.meta().annotations());
  }

  public static boolean hasDefaultDeny(MeshSnapshot s, String namespace) {
    for (String ns : List.of(s.mesh().rootNamespace(), namespace)) {
      if (s.authorizationPoliciesIn(ns).stream().anyMatch(AuthorizationFacts::defaultDeny)
          || s.invalidPoliciesIn(ns).stream().anyMatch(AuthorizationFacts::defaultDeny)) {
        return true;
      }
    }
    return false;
  }
}
