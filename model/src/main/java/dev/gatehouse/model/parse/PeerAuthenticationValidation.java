package dev.gatehouse.model.parse;

import dev.gatehouse.api.istio.security.v1beta1.PeerAuthentication;
import java.util.ArrayList;
import java.util.List;

/**
 * The checks Istio's validation webhook makes on a PeerAuthentication (istio/istio
 * pkg/config/validation/validation.go ValidatePeerAuthentication). Pure and thread-safe.
 */
public final class PeerAuthenticationValidation {
  private PeerAuthenticationValidation() {}

  /** All errors in the spec; empty when Istio would admit it. */
  public static List<String> validate(PeerAuthentication in) {
    List<String> errors = new ArrayList<>();
    boolean emptySelector = !in.hasSelector() || in.getSelector().getMatchLabelsCount() == 0;
    // Istio: port-level modes are keyed by workload (container) ports, which only a selector pins down.
    if (emptySelector && in.getPortLevelMtlsCount() != 0) {
      errors.add("mesh/namespace peer authentication cannot have port level mTLS");
    }
    for (int port : in.getPortLevelMtlsMap().keySet()) {
      // uint32 keys arrive as Java ints; anything above 65535 (or "negative") is out of range.
      if (port <= 0 || port > 65535) {
        errors.add("port must be in range 1..65535");
        break;
      }
    }
    errors.addAll(IstioValueRules.validateWorkloadSelector(in.getSelector()));
    return errors;
  }
}
