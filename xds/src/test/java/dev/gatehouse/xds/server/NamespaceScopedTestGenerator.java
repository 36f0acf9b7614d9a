package dev.gatehouse.xds.server;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import com.google.protobuf.UInt32Value;
import dev.gatehouse.model.EndpointSliceInfo;
import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.model.Policy;
import dev.gatehouse.model.ServiceInfo;
import dev.gatehouse.model.ServicePort;
import dev.gatehouse.xds.ProxyConfigGenerator;
import dev.gatehouse.xds.ProxyIdentity;
import dev.gatehouse.xds.ProxyResources;
import dev.gatehouse.api.istio.security.v1beta1.AuthorizationPolicy;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.core.v3.Locality;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.ApiListener;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.rbac.v3.Policy.Builder;
import io.envoyproxy.envoy.config.rbac.v3.Permission;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
import io.envoyproxy.envoy.config.rbac.v3.RBAC;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A stand-in translator for server tests (the real one is the policy translation's): per namespace, every service in
 * the proxy's namespace becomes a client listener named {@code <fqdn>:<port>} (api_listener HCM with RDS and the
 * router filter last), an RDS route config, an EDS cluster and a ClusterLoadAssignment whose locality carries a load
 * balancing weight - config grpc-java accepts. Sidecars also get a virtual-inbound listener whose RBAC filter lists
 * the namespace's AuthorizationPolicies (name and action), so a policy change changes LDS in that namespace only.
 *
 * <p>Shares work the way the contract asks: one {@link ProxyResources} per (snapshot, namespace, kind), so every proxy
 * of a namespace gets the same instance. Counts its translations so tests can see the sharing. Thread-safe.
 */
final class NamespaceScopedTestGenerator implements ProxyConfigGenerator {
  private record Key(long version, String namespace, dev.gatehouse.xds.ProxyKind kind) {}

  private final Map<Key, ProxyResources> memo = new ConcurrentHashMap<>();
  final java.util.concurrent.atomic.AtomicInteger translations = new java.util.concurrent.atomic.AtomicInteger();
  final java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
  /** Names of clusters to break (an unknown LB policy name is valid proto but refused by Envoy-like validators). */
  volatile java.util.Set<String> brokenClusters = java.util.Set.of();

  @Override
  public ProxyResources generate(MeshSnapshot snapshot, ProxyIdentity proxy) {
    calls.incrementAndGet();
    memo.keySet().removeIf(k -> k.version() < snapshot.version() - 1);
    return memo.computeIfAbsent(new Key(snapshot.version(), proxy.namespace(), proxy.kind()), k -> translate(snapshot, k));
  }

  private ProxyResources translate(MeshSnapshot snapshot, Key k) {
    translations.incrementAndGet();
    Map<String, Message> listeners = new TreeMap<>();
    Map<String, Message> routes = new TreeMap<>();
    Map<String, Message> clusters = new TreeMap<>();
    Map<String, Message> endpoints = new TreeMap<>();
    for (ServiceInfo svc : snapshot.servicesInNamespace(k.namespace())) {
      for (ServicePort port : svc.ports()) {
        String name = svc.fqdn() + ":" + port.port();
        String cluster = "outbound|" + port.port() + "||" + svc.fqdn();
        listeners.put(name, clientListener(name));
        routes.put(name, route(name, cluster));
        clusters.put(cluster, cluster(cluster));
        endpoints.put(cluster, endpoints(snapshot, svc, port, cluster));
      }
    }
    if (k.kind() == dev.gatehouse.xds.ProxyKind.SIDECAR) {
      listeners.put("virtualInbound", inbound(snapshot.authorizationPoliciesIn(k.namespace())));
    }
    Map<String, Map<String, Message>> byType = new HashMap<>();
    byType.put(ProxyResources.LISTENER, listeners);
    byType.put(ProxyResources.ROUTE, routes);
    byType.put(ProxyResources.CLUSTER, clusters);
    byType.put(ProxyResources.ENDPOINT, endpoints);
    return new ProxyResources(byType, List.of());
  }

  static Listener clientListener(String name) {
    HttpConnectionManager hcm = HttpConnectionManager.newBuilder()
        .setRds(Rds.newBuilder().setRouteConfigName(name).setConfigSource(ads()))
        .addHttpFilters(HttpFilter.newBuilder().setName("envoy.filters.http.router")
            .setTypedConfig(Any.pack(Router.getDefaultInstance())))
        .build();
    return Listener.newBuilder().setName(name)
        .setApiListener(ApiListener.newBuilder().setApiListener(Any.pack(hcm))).build();
  }

  static RouteConfiguration route(String name, String cluster) {
    return RouteConfiguration.newBuilder().setName(name)
        .addVirtualHosts(VirtualHost.newBuilder().setName(name).addDomains("*")
            .addRoutes(Route.newBuilder().setMatch(RouteMatch.newBuilder().setPrefix(""))
                .setRoute(RouteAction.newBuilder().setCluster(cluster))))
        .build();
  }

  Cluster cluster(String name) {
    Cluster.Builder c = Cluster.newBuilder().setName(name).setType(Cluster.DiscoveryType.EDS)
        .setEdsClusterConfig(Cluster.EdsClusterConfig.newBuilder().setEdsConfig(ads()).setServiceName(name))
        .setLbPolicy(Cluster.LbPolicy.ROUND_ROBIN);
    if (brokenClusters.contains(name)) {
      // grpc-java and Envoy refuse a cluster whose LB policy is unknown to them.
      c.setLbPolicy(Cluster.LbPolicy.MAGLEV).setLbPolicyValue(99);
    }
    return c.build();
  }

  static ClusterLoadAssignment endpoints(MeshSnapshot snapshot, ServiceInfo svc, ServicePort port, String cluster) {
    LocalityLbEndpoints.Builder locality = LocalityLbEndpoints.newBuilder()
        .setLocality(Locality.newBuilder().setZone("zone-a"))
        .setLoadBalancingWeight(UInt32Value.of(1));
    for (EndpointSliceInfo slice : snapshot.endpointSlicesForService(svc.key())) {
      int target = port.targetPort();
      for (EndpointSliceInfo.Port p : slice.ports()) {
        if (p.name().equals(port.name())) {
          target = p.port();
        }
      }
      for (EndpointSliceInfo.Endpoint e : slice.endpoints()) {
        for (String ip : e.addresses()) {
          locality.addLbEndpoints(LbEndpoint.newBuilder()
              .setHealthStatus(e.ready() ? HealthStatus.HEALTHY : HealthStatus.UNHEALTHY)
              .setEndpoint(Endpoint.newBuilder().setAddress(Address.newBuilder()
                  .setSocketAddress(SocketAddress.newBuilder().setAddress(ip).setPortValue(target)))));
        }
      }
    }
    return ClusterLoadAssignment.newBuilder().setClusterName(cluster).addEndpoints(locality).build();
  }

  static Listener inbound(List<Policy<AuthorizationPolicy>> policies) {
    RBAC.Builder rbac = RBAC.newBuilder().setAction(RBAC.Action.ALLOW);
    for (Policy<AuthorizationPolicy> p : policies) {
      Builder policy = io.envoyproxy.envoy.config.rbac.v3.Policy.newBuilder()
          .addPermissions(Permission.newBuilder().setAny(true))
          .addPrincipals(Principal.newBuilder().setAny(true));
      rbac.putPolicies("ns[" + p.namespace() + "]-policy[" + p.name() + "]-action[" + p.spec().getAction() + "]",
          policy.build());
    }
    HttpConnectionManager hcm = HttpConnectionManager.newBuilder().setStatPrefix("inbound")
        .addHttpFilters(HttpFilter.newBuilder().setName("envoy.filters.http.rbac")
            .setTypedConfig(Any.pack(io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.newBuilder()
                .setRules(rbac).build())))
        .addHttpFilters(HttpFilter.newBuilder().setName("envoy.filters.http.router")
            .setTypedConfig(Any.pack(Router.getDefaultInstance())))
        .build();
    return Listener.newBuilder().setName("virtualInbound")
        .setAddress(Address.newBuilder().setSocketAddress(SocketAddress.newBuilder().setAddress("0.0.0.0").setPortValue(15006)))
        .addFilterChains(FilterChain.newBuilder().addFilters(Filter.newBuilder()
            .setName("envoy.filters.network.http_connection_manager").setTypedConfig(Any.pack(hcm))))
        .build();
  }

  private static ConfigSource ads() {
    return ConfigSource.newBuilder().setAds(AggregatedConfigSource.getDefaultInstance())
        .setResourceApiVersion(ApiVersion.V3).build();
  }
}
