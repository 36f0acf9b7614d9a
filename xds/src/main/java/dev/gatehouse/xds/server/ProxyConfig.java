package dev.gatehouse.xds.server;

import dev.gatehouse.xds.ProxyResources;
import dev.gatehouse.xds.TranslationError;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A proxy's serialized resources, per type URL. Derived from one {@link ProxyResources}; proxies that received the
 * same {@code ProxyResources} instance share one {@code ProxyConfig}, and identical messages share one serialized
 * form. Immutable.
 *
 * @param workloadKnown false when the proxy's pod is not in the snapshot: then the config is empty (no listeners, so no
 *     inbound access) until the pod appears
 */
public record ProxyConfig(
    Map<String, TypeResources> types, List<TranslationError> errors, ProxyResources source, boolean workloadKnown) {

  public static final List<String> TYPES =
      List.of(ProxyResources.CLUSTER, ProxyResources.ENDPOINT, ProxyResources.LISTENER, ProxyResources.ROUTE);

  public static ProxyConfig unknownWorkload() {
    return new ProxyConfig(Map.of(), List.of(), new ProxyResources(Map.of(), List.of()), false);
  }

  public ProxyConfig {
    types = Map.copyOf(types);
    errors = List.copyOf(errors);
  }

  public TypeResources type(String typeUrl) {
    TypeResources t = types.get(typeUrl);
    return t != null ? t : TypeResources.of(typeUrl, new TreeMap<>());
  }
}
