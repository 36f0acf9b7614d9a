package dev.gatehouse.xds;

import dev.gatehouse.model.Workload;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.util.List;

/**
 * Authorization and authentication filters for one inbound port, built once per snapshot by the authz translation
 * (AuthorizationPolicy to RBAC, RequestAuthentication to jwt_authn). Implementations are thread-safe and should
 * return shared (memoized) filter lists for workloads with the same inputs.
 */
public interface InboundPolicySource {
  /** Everything that goes before the router filter on an HTTP chain, in Istio's order. */
  List<HttpFilter> httpFilters(Workload w, ProxyKind kind, int port);

  /** Everything before tcp_proxy on a TCP chain, in Istio's order. */
  List<Filter> networkFilters(Workload w, ProxyKind kind, int port);

  List<TranslationError> errors();

  /** No authorization filters: what a mesh without AuthorizationPolicy/RequestAuthentication gets. */
  InboundPolicySource NONE =
      new InboundPolicySource() {
        @Override
        public List<HttpFilter> httpFilters(Workload w, ProxyKind kind, int port) {
          return List.of();
        }

        @Override
        public List<Filter> networkFilters(Workload w, ProxyKind kind, int port) {
          return List.of();
        }

        @Override
        public List<TranslationError> errors() {
          return List.of();
        }
      };
}
