package dev.gatehouse.xds.authz;

import io.envoyproxy.envoy.config.rbac.v3.Permission;
import io.envoyproxy.envoy.type.matcher.v3.ValueMatcher;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code when: experimental.envoy.filters.<filter>[<key>]}: dynamic metadata written by another Envoy filter;
 * a value "[v]" matches a list containing v, otherwise a string (Istio envoyFilterGenerator). Envoy sidecars
 * evaluate it on HTTP and TCP chains (the network RBAC filter reads the connection's dynamic metadata); proxyless
 * gRPC has no such matcher, so there it is {@link Unavailable}.
 */
final class EnvoyFilterMetadata implements PermissionAttribute {
  static final EnvoyFilterMetadata INSTANCE = new EnvoyFilterMetadata();
  static final String PREFIX = "experimental.envoy.filters.";

  @Override
  public Permission permission(String key, List<String> values, ChainTarget target)
      throws Unavailable, Untranslatable {
    String rest = key.substring("experimental.".length());
    int open = rest.indexOf('[');
    if (open <= 0 || !rest.endsWith("]") || open == rest.length() - 2) {
      throw new Untranslatable("invalid key \"" + key + "\": expecting experimental.envoy.filters.<filter>[<key>]");
    }
    String filter = rest.substring(0, open);
    String field = rest.substring(open + 1, rest.length() - 1);
    target.requireEnvoy(key);
    List<ValueMatcher> or = new ArrayList<>();
    for (String v : values) {
      if (v.startsWith("[") && v.endsWith("]") && v.length() >= 2) {
        String inner = v.substring(1, v.length() - 1);
        or.add(Matchers.listOneOf(ValueMatcher.newBuilder().setStringMatch(Matchers.string(inner)).build()));
      } else {
        or.add(ValueMatcher.newBuilder().setStringMatch(Matchers.string(v)).build());
      }
    }
    ValueMatcher value =
        or.size() == 1
            ? or.get(0)
            : ValueMatcher.newBuilder()
                .setOrMatch(io.envoyproxy.envoy.type.matcher.v3.OrMatcher.newBuilder().addAllValueMatchers(or))
                .build();
    return Permission.newBuilder().setMetadata(Matchers.metadata(filter, List.of(field), value)).build();
  }
}
