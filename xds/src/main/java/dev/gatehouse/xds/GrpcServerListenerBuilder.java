package dev.gatehouse.xds;

import dev.gatehouse.model.MtlsMode;
import dev.gatehouse.model.Workload;
import io.envoyproxy.envoy.config.core.v3.TrafficDirection;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.NonForwardingAction;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import java.util.List;

/**
 * Proxyless gRPC server listeners, named by grpc's template {@code grpc/server?xds.resource.listening_address=
 * <ip>:<port>}. grpc-java's filter-chain selection (FilterChainMatchingProtocolNegotiators) runs before any
 * handshake and never matches a chain that sets destination_port, a transport_protocol other than raw_buffer, or
 * application_protocols; so each listener has exactly one chain with an empty match, and PERMISSIVE cannot offer
 * TLS and plaintext side by side. Istio's grpcgen serves PERMISSIVE as plaintext; Gatehouse does the same and reports
 * it. Routes use {@code non_forwarding_action}.
 *
 * <p>The HCM's stat prefix names the chain's transport security ({@code inbound_<port>} under mTLS,
 * {@code inbound_<port>_plaintext} otherwise). grpc-js-xds 1.14.1 compares each new Listener with the one it serves
 * and skips it when "equivalent" ({@code listenersEquivalent} in {@code src/server-listener.ts}); its
 * transport_socket test is inverted, so a chain that only lost its TLS socket (STRICT to PERMISSIVE) counts as
 * unchanged and the server keeps requiring mTLS, and one that only gained it (PERMISSIVE to STRICT) throws and the
 * server keeps serving plaintext. It compares the HCM bytes first: with the mode in the HCM, every change of mode is a
 * changed filter and grpc-js applies it. grpc-java and C-core ignore the stat prefix. Pure.
 */
public final class GrpcServerListenerBuilder {
  public static final String NAME_PREFIX = "grpc/server?xds.resource.listening_address=";

  private final Workload workload;
  private final InboundPolicySource policies;

  public GrpcServerListenerBuilder(Workload workload, InboundPolicySource policies) {
    this.workload = workload;
    this.policies = policies;
  }

  public static String listenerName(String ip, int port) {
    String host = ip.contains(":") && !ip.startsWith("[") ? "[" + ip + "]" : ip;
    return NAME_PREFIX + host + ":" + port;
  }

  /** The listener for one port, named and addressed for {@code ip} (0.0.0.0 when the server binds all addresses). */
  public Listener listener(InboundPort p, String ip) {
    HttpConnectionManager hcm = HttpConnectionManager.newBuilder()
        .setStatPrefix(statPrefix(p))
        .setRouteConfig(RouteConfiguration.newBuilder()
            .setName(SidecarInboundBuilder.clusterName(p.port()))
            .addVirtualHosts(VirtualHost.newBuilder()
                .setName("inbound|http|" + p.port())
                .addDomains("*")
                .addRoutes(Route.newBuilder()
                    .setName("default")
                    .setMatch(RouteMatch.newBuilder().setPrefix("/"))
                    .setNonForwardingAction(NonForwardingAction.getDefaultInstance()))))
        .addAllHttpFilters(EnvoyFilters.withRouter(policies.httpFilters(workload, ProxyKind.PROXYLESS_GRPC, p.port())))
        .build();
    FilterChain.Builder chain = FilterChain.newBuilder()
        .setName(SidecarInboundBuilder.clusterName(p.port()))
        .addFilters(EnvoyFilters.hcm(hcm));
    if (p.mode() == MtlsMode.STRICT) {
      chain.setTransportSocket(MeshTls.tls(MeshTls.grpcServer()));
    }
    return Listener.newBuilder()
        .setName(listenerName(ip, p.port()))
        .setAddress(EnvoyFilters.address(bare(ip), p.port()))
        .setTrafficDirection(TrafficDirection.INBOUND)
        .addFilterChains(chain)
        .build();
  }

  /** {@code inbound_<port>}, with {@code _plaintext} when the chain has no TLS (see the class comment: grpc-js). */
  static String statPrefix(InboundPort p) {
    return "inbound_" + p.port() + (p.mode() == MtlsMode.STRICT ? "" : "_plaintext");
  }

  /** Rename/readdress a shared listener for the pod's own IP (grpc asks for that name when it binds one address). */
  public static Listener forIp(Listener shared, String ip, int port) {
    return shared.toBuilder().setName(listenerName(ip, port)).setAddress(EnvoyFilters.address(bare(ip), port)).build();
  }

  private static String bare(String ip) {
    return ip.startsWith("[") && ip.endsWith("]") ? ip.substring(1, ip.length() - 1) : ip;
  }

  public static List<String> wildcardAddresses() {
    return List.of("0.0.0.0", "[::]");
  }
}
