package dev.gatehouse.posture;

import dev.gatehouse.api.istio.security.v1beta1.AuthorizationPolicy;
import dev.gatehouse.api.istio.security.v1beta1.RequestAuthentication;
import dev.gatehouse.api.istio.type.v1beta1.PolicyTargetReference;
import dev.gatehouse.model.InvalidPolicy;
import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.model.Policy;
import dev.gatehouse.model.PolicyKind;
import dev.gatehouse.model.Workload;
import dev.gatehouse.xds.authz.PolicyAttachment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which AuthorizationPolicies and RequestAuthentications apply to a workload, by the translation's own attachment
 * rule ({@link PolicyAttachment}): the root namespace's first, then the workload's namespace, oldest first. A policy
 * that did not parse applies where its readable selector says, or to its whole namespace (the closed side), as the
 * translation fails it closed. Pure static functions.
 */
public final class AppliedPolicies {
  private AppliedPolicies() {}

  public static List<Policy<AuthorizationPolicy>> authorization(MeshSnapshot s, Workload w) {
    List<Policy<AuthorizationPolicy>> out = new ArrayList<>();
    for (String ns : namespaces(s, w)) {
      for (Policy<AuthorizationPolicy> p : s.authorizationPoliciesIn(ns)) {
        if (attaches(s, p.namespace(), selector(p.spec()), targetRefs(p.spec()), w)) {
          out.add(p);
        }
      }
    }
    return out;
  }

  public static List<Policy<RequestAuthentication>> authentication(MeshSnapshot s, Workload w) {
    List<Policy<RequestAuthentication>> out = new ArrayList<>();
    for (String ns : namespaces(s, w)) {
      for (Policy<RequestAuthentication> p : s.requestAuthenticationsIn(ns)) {
        RequestAuthentication spec = p.spec();
        Map<String, String> selector = spec.hasSelector() ? spec.getSelector().getMatchLabelsMap() : Map.of();
        List<PolicyTargetReference> refs =
            PolicyAttachment.targetRefs(spec.getTargetRef(), spec.getTargetRefsList(), spec.hasTargetRef());
        if (attaches(s, p.namespace(), selector, refs, w)) {
          out.add(p);
        }
      }
    }
    return out;
  }

  /** Invalid policies of {@code kind} that the translation fails closed for {@code w}. */
  public static List<InvalidPolicy> invalid(MeshSnapshot s, Workload w, PolicyKind kind) {
    List<InvalidPolicy> out = new ArrayList<>();
    for (String ns : namespaces(s, w)) {
      for (InvalidPolicy p : s.invalidPoliciesIn(ns)) {
        if (p.kind() == kind && attaches(s, ns, p.selector().orElse(Map.of()), List.of(), w)) {
          out.add(p);
        }
      }
    }
    return out;
  }

  public static boolean attaches(
      MeshSnapshot s, String policyNamespace, Map<String, String> selector, List<PolicyTargetReference> refs,
      Workload w) {
    return PolicyAttachment.attaches(policyNamespace, selector, refs, s.mesh().rootNamespace(), w.namespace(),
        w.labels());
  }

  public static Map<String, String> selector(AuthorizationPolicy spec) {
    return spec.hasSelector() ? spec.getSelector().getMatchLabelsMap() : Map.of();
  }

  public static List<PolicyTargetReference> targetRefs(AuthorizationPolicy spec) {
    return PolicyAttachment.targetRefs(spec.getTargetRef(), spec.getTargetRefsList(), spec.hasTargetRef());
  }

  /** How far a policy reaches, in words: "mesh-wide", "namespace shop", "workloads {app=cart}", "targetRefs". */
  public static String scope(MeshSnapshot s, String policyNamespace, Map<String, String> selector,
      List<PolicyTargetReference> refs) {
    boolean root = policyNamespace.equals(s.mesh().rootNamespace());
    if (!refs.isEmpty()) {
      List<String> names = new ArrayList<>();
      refs.forEach(r -> names.add(r.getKind() + " " + r.getName()));
      return "targetRefs " + names;
    }
    if (selector.isEmpty()) {
      return root ? "mesh-wide (root namespace)" : "namespace " + policyNamespace;
    }
    return (root ? "mesh-wide workloads " : "workloads ") + new TreeMap<>(selector);
  }

  private static List<String> namespaces(MeshSnapshot s, Workload w) {
    String root = s.mesh().rootNamespace();
    return root.equals(w.namespace()) ? List.of(root) : List.of(root, w.namespace());
  }
}
