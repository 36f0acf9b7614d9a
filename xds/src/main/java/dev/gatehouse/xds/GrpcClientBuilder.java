package dev.gatehouse.xds;

import com.google.protobuf.Any;
import dev.gatehouse.model.ServiceInfo;
import dev.gatehouse.model.ServicePort;
import io.envoyproxy.envoy.config.listener.v3.ApiListener;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import java.util.Map;

/**
 * Proxyless gRPC client resources: a channel for {@code xds:///<fqdn>:<port>} asks for the Listener named
 * {@code <fqdn>:<port>}; it gets an {@code api_listener} HttpConnectionManager whose RDS route configuration (same
 * name) sends everything to {@code outbound|<port>||<fqdn>}. The router filter is last and typed (grpc-java
 * requires both). Pure.
 */
public final class GrpcClientBuilder {
  private GrpcClientBuilder() {}

  public static String listenerName(ServiceInfo s, int port) {
    return s.fqdn() + ":" + port;
  }

  public static void build(ServiceInfo s, ServicePort sp, Map<String, Listener> listeners,
      Map<String, RouteConfiguration> routes) {
    String name = listenerName(s, sp.port());
    HttpConnectionManager hcm = HttpConnectionManager.newBuilder()
        .setStatPrefix(name)
        .setRds(Rds.newBuilder().setConfigSource(EnvoyFilters.ads()).setRouteConfigName(name))
        .addHttpFilters(EnvoyFilters.router())
        .build();
    listeners.put(name, Listener.newBuilder()
        .setName(name)
        .setApiListener(ApiListener.newBuilder().setApiListener(Any.pack(hcm)))
        .build());
    routes.put(name, RouteConfiguration.newBuilder()
        .setName(name)
        .addVirtualHosts(VirtualHost.newBuilder()
            .setName(name)
            .addDomains(s.fqdn())
            .addDomains(name)
            .addRoutes(Route.newBuilder()
                .setName("default")
                .setMatch(RouteMatch.newBuilder().setPrefix("/"))
                .setRoute(RouteAction.newBuilder()
                    .setCluster(OutboundClusterBuilder.clusterName(sp.port(), "", s.fqdn())))))
        .build());
  }
}
