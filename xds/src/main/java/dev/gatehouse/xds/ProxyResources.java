package dev.gatehouse.xds;

import com.google.protobuf.Message;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The Envoy resources one proxy must receive, keyed by xDS type URL and then by resource name (sorted), plus the
 * errors met while translating them and notices worth showing an operator. Immutable; proxies with the same inputs
 * share one instance.
 */
public record ProxyResources(
    Map<String, Map<String, Message>> resourcesByType,
    List<TranslationError> errors,
    List<TranslationNotice> notices) {
  public static final String LISTENER = "type.googleapis.com/envoy.config.listener.v3.Listener";
  public static final String ROUTE = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";
  public static final String CLUSTER = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
  public static final String ENDPOINT = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";

  public ProxyResources {
    Objects.requireNonNull(resourcesByType, "resourcesByType");
    resourcesByType = Map.copyOf(resourcesByType);
    errors = errors == null ? List.of() : List.copyOf(errors);
    notices = notices == null ? List.of() : List.copyOf(notices);
  }

  public ProxyResources(Map<String, Map<String, Message>> resourcesByType, List<TranslationError> errors) {
    this(resourcesByType, errors, List.of());
  }

  public Map<String, Message> of(String typeUrl) {
    return resourcesByType.getOrDefault(typeUrl, Map.of());
  }
}
