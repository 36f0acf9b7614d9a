package dev.gatehouse.xds;

import com.google.protobuf.BoolValue;
import dev.gatehouse.model.ServiceInfo;
import dev.gatehouse.model.ServicePort;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.TrafficDirection;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The Envoy sidecar's outbound listeners and routes: {@code virtualOutbound} on 15001 (original destination,
 * unknown destinations pass through), one {@code 0.0.0.0_<port>} HTTP listener per HTTP service port with route
 * configuration {@code <port>} holding one virtual host per service, and one {@code <clusterIP>_<port>} TCP listener
 * per TCP or sniffed service port. Pure.
 */
public final class SidecarOutboundBuilder {
  public static final String LISTENER_NAME = "virtualOutbound";
  public static final int PORT = 15001;
  public static final String PASSTHROUGH_CLUSTER = "PassthroughCluster";

  private SidecarOutboundBuilder() {}

  public static Listener virtualOutbound() {
    return Listener.newBuilder()
        .setName(LISTENER_NAME)
        .setAddress(EnvoyFilters.address("0.0.0.0", PORT))
        .setUseOriginalDst(BoolValue.of(true))
        .setTrafficDirection(TrafficDirection.OUTBOUND)
        .addFilterChains(FilterChain.newBuilder()
            .setName("virtualOutbound-catchall-tcp")
            .addFilters(EnvoyFilters.tcpProxy(PASSTHROUGH_CLUSTER, PASSTHROUGH_CLUSTER)))
        .build();
  }

  public static Cluster passthroughCluster() {
    return Cluster.newBuilder()
        .setName(PASSTHROUGH_CLUSTER)
        .setType(Cluster.DiscoveryType.ORIGINAL_DST)
        .setLbPolicy(Cluster.LbPolicy.CLUSTER_PROVIDED)
        .setConnectTimeout(EnvoyFilters.seconds(10))
        .build();
  }

  public static Cluster blackHoleCluster() {
    return Cluster.newBuilder()
        .setName(SidecarInboundBuilder.BLACKHOLE_CLUSTER)
        .setType(Cluster.DiscoveryType.STATIC)
        .setConnectTimeout(EnvoyFilters.seconds(10))
        .build();
  }

  /** Listeners and routes for every service port the proxy can see; clusters are built separately. */
  public static void build(
      List<ServiceInfo> services, String clientNamespace, Map<String, Listener> listeners,
      Map<String, RouteConfiguration> routes) {
    Map<Integer, List<VirtualHost>> httpPorts = new TreeMap<>();
    for (ServiceInfo s : services) {
      for (ServicePort sp : s.ports()) {
        if (!"TCP".equalsIgnoreCase(sp.protocol())) {
          continue;
        }
        String cluster = OutboundClusterBuilder.clusterName(sp.port(), "", s.fqdn());
        if (PortProtocol.of(sp).isHttp()) {
          httpPorts.computeIfAbsent(sp.port(), p -> new ArrayList<>()).add(virtualHost(s, sp.port(), cluster, clientNamespace));
        } else if (!s.clusterIp().isEmpty() && !s.headless()) {
          Listener l = tcpListener(s, sp.port(), cluster);
          listeners.put(l.getName(), l);
        }
      }
    }
    httpPorts.forEach((port, vhosts) -> {
      Listener l = httpListener(port);
      listeners.put(l.getName(), l);
      RouteConfiguration rc = routeConfiguration(port, vhosts);
      routes.put(rc.getName(), rc);
    });
  }

  /** {@code <clusterIP>_<port>}: a TCP (or sniffed) service port, proxied to its cluster. */
  static Listener tcpListener(ServiceInfo s, int port, String cluster) {
    String name = s.clusterIp() + "_" + port;
    return Listener.newBuilder()
        .setName(name)
        .setAddress(EnvoyFilters.address(s.clusterIp(), port))
        .setBindToPort(BoolValue.of(false))
        .setTrafficDirection(TrafficDirection.OUTBOUND)
        .addFilterChains(FilterChain.newBuilder().addFilters(EnvoyFilters.tcpProxy(cluster, cluster)))
        .build();
  }

  /** {@code 0.0.0.0_<port>}: the HTTP listener of one service port number, routes from RDS {@code <port>}. */
  static Listener httpListener(int port) {
    String listenerName = "0.0.0.0_" + port;
    HttpConnectionManager hcm = HttpConnectionManager.newBuilder()
        .setStatPrefix("outbound_0.0.0.0_" + port)
        .setRds(Rds.newBuilder().setConfigSource(EnvoyFilters.ads()).setRouteConfigName(String.valueOf(port)))
        .addHttpFilters(EnvoyFilters.router())
        .build();
    return Listener.newBuilder()
        .setName(listenerName)
        .setAddress(EnvoyFilters.address("0.0.0.0", port))
        .setBindToPort(BoolValue.of(false))
        .setTrafficDirection(TrafficDirection.OUTBOUND)
        .addFilterChains(FilterChain.newBuilder().addFilters(EnvoyFilters.hcm(hcm)))
        .build();
  }

  private static final VirtualHost ALLOW_ANY = VirtualHost.newBuilder()
      .setName("allow_any")
      .addDomains("*")
      .addRoutes(Route.newBuilder()
          .setName("allow_any")
          .setMatch(RouteMatch.newBuilder().setPrefix("/"))
          .setRoute(RouteAction.newBuilder().setCluster(PASSTHROUGH_CLUSTER).setTimeout(EnvoyFilters.seconds(0))))
      .build();

  /** Route configuration {@code <port>}: the virtual hosts sorted by name (sorts {@code vhosts}), then allow_any. */
  static RouteConfiguration routeConfiguration(int port, List<VirtualHost> vhosts) {
    vhosts.sort(java.util.Comparator.comparing(VirtualHost::getName));
    return sortedRouteConfiguration(port, vhosts);
  }

  /** Route configuration {@code <port>} from virtual hosts already sorted by name, then allow_any. */
  static RouteConfiguration sortedRouteConfiguration(int port, List<VirtualHost> vhosts) {
    return RouteConfiguration.newBuilder()
        .setName(String.valueOf(port))
        .setValidateClusters(BoolValue.of(false))
        .addAllVirtualHosts(vhosts)
        .addVirtualHosts(ALLOW_ANY)
        .build();
  }

  /** Istio's domains for a service: FQDN, short forms the client's DNS search path resolves, the cluster IP. */
  static VirtualHost virtualHost(ServiceInfo s, int port, String cluster, String clientNamespace) {
    Set<String> hosts = new LinkedHashSet<>();
    hosts.add(s.fqdn());
    hosts.add(s.name() + "." + s.namespace() + ".svc");
    hosts.add(s.name() + "." + s.namespace());
    if (s.namespace().equals(clientNamespace)) {
      hosts.add(s.name());
    }
    if (!s.clusterIp().isEmpty() && !s.headless()) {
      hosts.add(s.clusterIp());
    }
    VirtualHost.Builder vh = VirtualHost.newBuilder().setName(s.fqdn() + ":" + port);
    for (String h : hosts) {
      vh.addDomains(h);
      vh.addDomains(h + ":" + port);
    }
    return vh.addRoutes(Route.newBuilder()
            .setName("default")
            .setMatch(RouteMatch.newBuilder().setPrefix("/"))
            .setRoute(RouteAction.newBuilder().setCluster(cluster).setTimeout(EnvoyFilters.seconds(0))))
        .build();
  }
}
