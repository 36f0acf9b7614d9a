package dev.gatehouse.xds.server;

import dev.gatehouse.api.istio.security.v1beta1.AuthorizationPolicy;
import dev.gatehouse.model.InvalidPolicy;
import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.model.Policy;
import dev.gatehouse.model.PolicyKind;
import dev.gatehouse.model.Workload;
import dev.gatehouse.xds.TranslationError;
import dev.gatehouse.xds.authz.PolicyAttachment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The AuthorizationPolicies in effect for each workload, for {@code /debug/authorizationz}: the valid ones that attach
 * (same rule as translation, {@link PolicyAttachment}), the unparseable ones that fail closed for it, and the
 * translation errors of its current config. Pure.
 */
public final class AuthorizationInEffect {
  private AuthorizationInEffect() {}

  public record PolicyRef(String namespace, String name, String action) {}

  public record InvalidRef(String namespace, String name, String action, String reason) {}

  public record WorkloadAuthorization(
      String workload,
      String serviceAccount,
      List<PolicyRef> policies,
      List<InvalidRef> invalidPolicies,
      List<TranslationError> translationErrors) {}

  public static WorkloadAuthorization of(MeshSnapshot snapshot, Workload w, List<TranslationError> translationErrors) {
    String root = snapshot.mesh().rootNamespace();
    List<PolicyRef> policies = new ArrayList<>();
    for (String ns : namespaces(root, w.namespace())) {
      for (Policy<AuthorizationPolicy> p : snapshot.authorizationPoliciesIn(ns)) {
        AuthorizationPolicy spec = p.spec();
        if (PolicyAttachment.attaches(p.namespace(), spec.getSelector().getMatchLabelsMap(),
            PolicyAttachment.targetRefs(spec.getTargetRef(), spec.getTargetRefsList(), spec.hasTargetRef()),
            root, w.namespace(), w.labels())) {
          policies.add(new PolicyRef(p.namespace(), p.name(), spec.getAction().name()));
        }
      }
    }
    List<InvalidRef> invalid = new ArrayList<>();
    for (String ns : namespaces(root, w.namespace())) {
      for (InvalidPolicy p : snapshot.invalidPoliciesIn(ns)) {
        if (p.kind() != PolicyKind.AUTHORIZATION_POLICY) {
          continue;
        }
        // An unreadable selector applies to the whole namespace: the closed side.
        Map<String, String> selector = p.selector().orElse(Map.of());
        if (dev.gatehouse.model.LabelSelector.matches(selector, w.labels())) {
          invalid.add(new InvalidRef(ns, p.meta().name(), p.action(), p.reason()));
        }
      }
    }
    return new WorkloadAuthorization(w.key().toString(), w.serviceAccount(), List.copyOf(policies), List.copyOf(invalid),
        List.copyOf(translationErrors));
  }

  private static List<String> namespaces(String root, String ns) {
    return root.equals(ns) ? List.of(ns) : List.of(root, ns);
  }
}
