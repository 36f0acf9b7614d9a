package dev.gatehouse.posture.analyze;

import dev.gatehouse.api.istio.security.v1beta1.AuthorizationPolicy;
import dev.gatehouse.api.istio.security.v1beta1.PeerAuthentication;
import dev.gatehouse.api.istio.security.v1beta1.RequestAuthentication;
import dev.gatehouse.api.istio.type.v1beta1.PolicyTargetReference;
import dev.gatehouse.model.InvalidPolicy;
import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.model.Policy;
import dev.gatehouse.model.PolicyKind;
import dev.gatehouse.model.ResourceMeta;
import dev.gatehouse.model.Workload;
import dev.gatehouse.posture.AppliedPolicies;
import dev.gatehouse.posture.MeshPosture;
import dev.gatehouse.xds.authz.PolicyAttachment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * GH0001: a selector or targetRef that attaches the policy to no workload, by the translation's own attachment rule
 * ({@link PolicyAttachment}). Such a policy is silently inert: a DENY protects nothing, an ALLOW allows nothing it
 * meant to. Policies without selector are namespace-wide and not checked here. Pure.
 */
final class SelectorChecks {
  private SelectorChecks() {}

  static List<Finding> check(MeshPosture mesh) {
    MeshSnapshot s = mesh.snapshot();
    List<Finding> out = new ArrayList<>();
    for (Policy<AuthorizationPolicy> p : s.authorizationPolicies()) {
      check(s, p.meta(), AppliedPolicies.selector(p.spec()), AppliedPolicies.targetRefs(p.spec()), out);
    }
    for (Policy<RequestAuthentication> p : s.requestAuthentications()) {
      RequestAuthentication spec = p.spec();
      check(s, p.meta(), spec.hasSelector() ? spec.getSelector().getMatchLabelsMap() : Map.of(),
          PolicyAttachment.targetRefs(spec.getTargetRef(), spec.getTargetRefsList(), spec.hasTargetRef()), out);
    }
    for (Policy<PeerAuthentication> p : s.peerAuthentications()) {
      // A selector in the root namespace is ignored altogether (GH0016 says so); elsewhere it picks workloads.
      if (p.spec().hasSelector() && !p.spec().getSelector().getMatchLabelsMap().isEmpty()
          && !p.namespace().equals(s.mesh().rootNamespace())) {
        check(s, p.meta(), p.spec().getSelector().getMatchLabelsMap(), List.of(), out);
      }
    }
    for (InvalidPolicy p : s.invalidPolicies()) {
      if (p.kind() != PolicyKind.DESTINATION_RULE && p.selector().isPresent() && !p.selector().get().isEmpty()) {
        check(s, p.meta(), p.selector().get(), List.of(), out);
      }
    }
    return out;
  }

  private static void check(MeshSnapshot s, ResourceMeta meta, Map<String, String> selector,
      List<PolicyTargetReference> refs, List<Finding> out) {
    if (selector.isEmpty() && refs.isEmpty()) {
      return;
    }
    for (Workload w : s.workloads().values()) {
      if (PolicyAttachment.attaches(meta.namespace(), selector, refs, s.mesh().rootNamespace(), w.namespace(),
          w.labels())) {
        return;
      }
    }
    boolean root = meta.namespace().equals(s.mesh().rootNamespace());
    String where = root ? "any namespace" : meta.namespace();
    String message;
    if (!refs.isEmpty()) {
      List<String> named = new ArrayList<>();
      refs.forEach(r -> named.add(r.getKind() + " " + r.getName()));
      message = "targetRefs " + named + " attach to no workload: targetRefs select Gateways and waypoints (a "
          + "gateway pod labelled gateway.networking.k8s.io/gateway-name in " + meta.namespace()
          + "), never sidecars; use a selector for sidecars";
    } else {
      message = "selector " + new TreeMap<>(selector) + " matches no pod in " + where + hint(s, meta, selector, root);
    }
    out.add(Finding.of(FindingCode.GH0001, meta.kind() + " " + meta.key(), message));
  }

  /** The values pods actually carry for the selector's keys, so a typo shows. */
  private static String hint(MeshSnapshot s, ResourceMeta meta, Map<String, String> selector, boolean root) {
    List<String> seen = new ArrayList<>();
    for (String key : new TreeSet<>(selector.keySet())) {
      TreeSet<String> values = new TreeSet<>();
      for (Workload w : s.workloads().values()) {
        if ((root || w.namespace().equals(meta.namespace())) && w.labels().containsKey(key)) {
          values.add(w.labels().get(key));
        }
      }
      if (!values.isEmpty()) {
        seen.add(key + " in " + values);
      }
    }
    return seen.isEmpty() ? " (no pod there has " + new TreeSet<>(selector.keySet()) + ")"
        : " (pods there have " + String.join("; ", seen) + ")";
  }
}
