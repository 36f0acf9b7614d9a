package dev.gatehouse.xds.authz;

import io.envoyproxy.envoy.config.rbac.v3.Principal;
import java.util.ArrayList;
import java.util.List;

/**
 * One Istio attribute of the "who" side of a rule (a {@code from.source} field or a {@code when} key that
 * describes the caller), translated to an RBAC principal. One class per attribute, as Istio's generators.
 */
interface PrincipalAttribute {

  /** The principal matching any of {@code values} (a field's values are ORed). */
  Principal principal(String key, List<String> values, ChainTarget target) throws Unavailable, Untranslatable;

  /** Per-value attributes: Istio wraps each field's values in or_ids, even a single one. */
  interface PerValue extends PrincipalAttribute {
    Principal principal(String key, String value, ChainTarget target) throws Unavailable, Untranslatable;

    @Override
    default Principal principal(String key, List<String> values, ChainTarget target)
        throws Unavailable, Untranslatable {
      List<Principal> or = new ArrayList<>(values.size());
      for (String v : values) {
        or.add(principal(key, v, target));
      }
      return Matchers.principalOr(or);
    }
  }
}
