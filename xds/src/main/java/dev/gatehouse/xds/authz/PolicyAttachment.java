package dev.gatehouse.xds.authz;

import dev.gatehouse.api.istio.type.v1beta1.PolicyTargetReference;
import dev.gatehouse.model.LabelSelector;
import java.util.List;
import java.util.Map;

/**
 * Which workloads a namespaced policy attaches to (Istio WorkloadPolicyMatcher.ShouldAttachPolicy, for sidecars and
 * proxyless servers). A policy in the workload's namespace or in the root namespace attaches when its selector is
 * absent or matches the pod labels. A policy with {@code targetRef(s)} never attaches to a sidecar: in Istio those
 * select Gateways and waypoints only; for a Gateway API gateway pod (label
 * {@code gateway.networking.k8s.io/gateway-name}) only targetRefs of kind Gateway naming it attach.
 */
public final class PolicyAttachment {
  static final String GATEWAY_NAME_LABEL = "gateway.networking.k8s.io/gateway-name";

  private PolicyAttachment() {}

  public static boolean attaches(
      String policyNamespace,
      Map<String, String> selector,
      List<PolicyTargetReference> targetRefs,
      String rootNamespace,
      String workloadNamespace,
      Map<String, String> workloadLabels) {
    if (!policyNamespace.equals(workloadNamespace) && !policyNamespace.equals(rootNamespace)) {
      return false;
    }
    String gatewayName = workloadLabels.get(GATEWAY_NAME_LABEL);
    if (gatewayName == null) {
      return targetRefs.isEmpty() && LabelSelector.matches(selector, workloadLabels);
    }
    for (PolicyTargetReference ref : targetRefs) {
      boolean sameNamespace = policyNamespace.equals(workloadNamespace)
          && (ref.getNamespace().isEmpty() || ref.getNamespace().equals(workloadNamespace));
      if (sameNamespace
          && "gateway.networking.k8s.io".equals(ref.getGroup())
          && "Gateway".equals(ref.getKind())
          && gatewayName.equals(ref.getName())) {
        return true;
      }
    }
    return false;
  }

  public static List<PolicyTargetReference> targetRefs(
      PolicyTargetReference single, List<PolicyTargetReference> many, boolean hasSingle) {
    if (!many.isEmpty()) {
      return many;
    }
    return hasSingle ? List.of(single) : List.of();
  }
}
