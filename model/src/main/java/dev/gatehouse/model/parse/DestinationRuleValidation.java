package dev.gatehouse.model.parse;

import dev.gatehouse.api.istio.networking.v1alpha3.ClientTLSSettings;
import dev.gatehouse.api.istio.networking.v1alpha3.DestinationRule;
import dev.gatehouse.api.istio.networking.v1alpha3.Subset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The checks on a DestinationRule that matter for security. Its spec is read ignoring fields Gatehouse does not
 * act on, and protobuf's lenient JSON reader also drops enum values it does not know, so a misspelt
 * {@code tls.mode} (say {@code ISTIO_MUTAL}) would silently read as DISABLE, i.e. plaintext. The raw spec is
 * checked for that first. Pure and thread-safe.
 */
public final class DestinationRuleValidation {
  private DestinationRuleValidation() {}

  /** Errors in the raw spec that the lenient reader would hide. */
  public static List<String> validateRaw(Map<?, ?> spec) {
    List<String> errors = new ArrayList<>();
    checkTrafficPolicy(spec.get("trafficPolicy"), "trafficPolicy", errors);
    if (spec.get("subsets") instanceof List<?> subsets) {
      for (int i = 0; i < subsets.size(); i++) {
        if (subsets.get(i) instanceof Map<?, ?> subset) {
          checkTrafficPolicy(subset.get("trafficPolicy"), "subsets[" + i + "].trafficPolicy", errors);
        }
      }
    }
    return errors;
  }

  private static void checkTrafficPolicy(Object policy, String path, List<String> errors) {
    if (!(policy instanceof Map<?, ?> p)) {
      return;
    }
    checkTls(p.get("tls"), path + ".tls", errors);
    if (p.get("portLevelSettings") instanceof List<?> ports) {
      for (int i = 0; i < ports.size(); i++) {
        if (ports.get(i) instanceof Map<?, ?> port) {
          checkTls(port.get("tls"), path + ".portLevelSettings[" + i + "].tls", errors);
        }
      }
    }
  }

  private static void checkTls(Object tls, String path, List<String> errors) {
    if (!(tls instanceof Map<?, ?> t) || t.get("mode") == null) {
      return;
    }
    Object mode = t.get("mode");
    boolean known = false;
    for (ClientTLSSettings.TLSmode m : ClientTLSSettings.TLSmode.values()) {
      // Protobuf JSON also accepts an enum's number, as Istio's reader does.
      if (m != ClientTLSSettings.TLSmode.UNRECOGNIZED
          && (m.name().equals(mode) || RawFields.integerValue(mode).filter(n -> n == m.getNumber()).isPresent())) {
        known = true;
      }
    }
    if (!known) {
      errors.add(path + ".mode: unknown TLS mode " + RawFields.describe(mode));
    }
  }

  /** Istio ValidateDestinationRule, the parts that bear on security: a host, and unique subset names. */
  public static List<String> validate(DestinationRule in) {
    List<String> errors = new ArrayList<>();
    if (in.getHost().isEmpty()) {
      errors.add("host must be set");
    }
    Set<String> names = new HashSet<>();
    for (Subset s : in.getSubsetsList()) {
      if (!names.add(s.getName())) {
        errors.add("duplicate subset names: " + s.getName());
      }
    }
    errors.addAll(IstioValueRules.validateWorkloadSelector(in.getWorkloadSelector()));
    return errors;
  }
}
