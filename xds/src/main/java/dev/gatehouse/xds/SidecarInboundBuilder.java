package dev.gatehouse.xds;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.UInt32Value;
import dev.gatehouse.model.MtlsMode;
import dev.gatehouse.model.Workload;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.BindConfig;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.core.v3.TrafficDirection;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.listener.v3.ListenerFilter;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.listener.http_inspector.v3.HttpInspector;
import io.envoyproxy.envoy.extensions.filters.listener.original_dst.v3.OriginalDst;
import io.envoyproxy.envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import java.util.ArrayList;
import java.util.List;

/**
 * The Envoy sidecar's inbound side: listener {@code virtualInbound} on 15006 with one group of filter chains per
 * inbound port (matching destination_port + transport_protocol + application_protocols, istio-semantics §2), the
 * passthrough chains for undeclared ports at the workload-level mode, and the {@code inbound|<port>||} clusters.
 * Pure; one instance per translation of one workload; not thread-safe (a per-port filter memo).
 */
public final class SidecarInboundBuilder {
  public static final String LISTENER_NAME = "virtualInbound";
  public static final int PORT = 15006;
  public static final String PASSTHROUGH_CLUSTER = "InboundPassthroughCluster";
  public static final String BLACKHOLE_CLUSTER = "BlackHoleCluster";
  /** Istio's inbound upstream source address, so the app sees traffic from the sidecar, not from itself. */
  static final String INBOUND_BIND_ADDRESS = "127.0.0.6";

  static final List<String> ISTIO_ALPNS =
      List.of("istio", "istio-peer-exchange", "istio-http/1.0", "istio-http/1.1", "istio-h2");
  static final List<String> ISTIO_HTTP_ALPNS = List.of("istio-http/1.0", "istio-http/1.1", "istio-h2");
  static final List<String> ISTIO_TCP_ALPNS = List.of("istio", "istio-peer-exchange");
  static final List<String> PLAINTEXT_HTTP_ALPNS = List.of("http/1.1", "h2c");

  private final Workload workload;
  private final InboundPolicySource policies;
  private final List<String> trustDomains;
  private final TranslationOptions options;
  // One lookup per port: a port has up to five chains and they all carry the same policy filters.
  private final java.util.Map<Integer, List<io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter>> httpFilters =
      new java.util.HashMap<>();
  private final java.util.Map<Integer, List<Filter>> policyNetwork = new java.util.HashMap<>();
  // The TCP chains' filters: the policy filters and tcp_proxy.
  private final java.util.Map<Integer, List<Filter>> networkFilters = new java.util.HashMap<>();
  // A port's HTTP chains (mtls-http, plaintext-http) carry the same connection manager.
  private final java.util.Map<Integer, Filter> hcmFilters = new java.util.HashMap<>();
  private final Shared shared;

  /**
   * What is the same for every workload of one translation (same trust domains and options): the TLS transport
   * sockets per ALPN list, the inbound route configuration per port, the {@code inbound|<port>||} clusters, and the
   * {@code virtualInbound} listeners. A listener follows from the inbound ports, the workload-level mode and the
   * policy filter lists of each port ({@link InboundPolicySource} memoizes those per applicable policy set), so
   * workloads whose labels select the same policies share one listener instance, and so one serialized form.
   * Thread-safe (concurrent memo maps).
   */
  public static final class Shared {
    private final List<String> trustDomains;
    private final TranslationOptions options;
    private final java.util.Map<List<String>, TransportSocket> tls = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.Map<Integer, RouteConfiguration> routes = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.Map<ListenerKey, Listener> listeners = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.Map<List<Object>, Cluster> clusters = new java.util.concurrent.ConcurrentHashMap<>();

    public Shared(List<String> trustDomains, TranslationOptions options) {
      this.trustDomains = List.copyOf(trustDomains);
      this.options = options;
    }

    /** {@link SidecarInboundBuilder#inboundCluster}, one instance per (port, protocol) in this translation. */
    public Cluster inboundCluster(InboundPort p) {
      return clusters.computeIfAbsent(List.of(p.port(), p.protocol()), k -> SidecarInboundBuilder.inboundCluster(p));
    }
  }

  /** The policy filter lists are compared by identity: they are memoized instances (see {@link Shared}). */
  private record ListenerKey(List<InboundPort> ports, MtlsMode workloadMode, IdentityKey policyFilters) {}

  public SidecarInboundBuilder(
      Workload workload, InboundPolicySource policies, List<String> trustDomains, TranslationOptions options) {
    this(workload, policies, new Shared(trustDomains, options));
  }

  public SidecarInboundBuilder(Workload workload, InboundPolicySource policies, Shared shared) {
    this.workload = workload;
    this.policies = policies;
    this.trustDomains = shared.trustDomains;
    this.options = shared.options;
    this.shared = shared;
  }

  public static String clusterName(int port) {
    return "inbound|" + port + "||";
  }

  /**
   * The {@code virtualInbound} listener; the same instance for every workload of this translation with the same ports,
   * workload-level mode and policy filters.
   */
  public Listener listener(List<InboundPort> ports, MtlsMode workloadMode) {
    List<Object> filters = new ArrayList<>();
    for (InboundPort p : ports) {
      boolean http = p.protocol().isHttp();
      boolean auto = p.protocol() == PortProtocol.AUTO;
      // Exactly the lists portChains puts on this port's chains: HTTP chains for HTTP and AUTO, TCP for the rest.
      filters.add(http || auto ? policyHttpFilters(p.port()) : List.of());
      filters.add(http ? List.of() : policyNetworkFilters(p.port()));
    }
    filters.add(policyNetworkFilters(0)); // the passthrough chains
    return shared.listeners.computeIfAbsent(
        new ListenerKey(List.copyOf(ports), workloadMode, new IdentityKey(filters)),
        k -> buildListener(ports, workloadMode));
  }

  private List<io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter>
      policyHttpFilters(int port) {
    return httpFilters.computeIfAbsent(port, p -> policies.httpFilters(workload, ProxyKind.SIDECAR, p));
  }

  private List<Filter> policyNetworkFilters(int port) {
    return policyNetwork.computeIfAbsent(port, p -> policies.networkFilters(workload, ProxyKind.SIDECAR, p));
  }

  private Listener buildListener(List<InboundPort> ports, MtlsMode workloadMode) {
    Listener.Builder l = Listener.newBuilder()
        .setName(LISTENER_NAME)
        .setAddress(EnvoyFilters.address("0.0.0.0", PORT))
        .setTrafficDirection(TrafficDirection.INBOUND)
        .setContinueOnListenerFiltersTimeout(true)
        .addListenerFilters(listenerFilter("envoy.filters.listener.original_dst", OriginalDst.getDefaultInstance()))
        .addListenerFilters(listenerFilter("envoy.filters.listener.tls_inspector", TlsInspector.getDefaultInstance()))
        .addListenerFilters(
            listenerFilter("envoy.filters.listener.http_inspector", HttpInspector.getDefaultInstance()));
    // Traffic addressed to 15006 itself would loop.
    l.addFilterChains(FilterChain.newBuilder()
        .setName("virtualInbound-blackhole")
        .setFilterChainMatch(FilterChainMatch.newBuilder().setDestinationPort(UInt32Value.of(PORT)))
        .addFilters(EnvoyFilters.tcpProxy(BLACKHOLE_CLUSTER, BLACKHOLE_CLUSTER)));
    for (InboundPort p : ports) {
      l.addAllFilterChains(portChains(p));
    }
    l.addAllFilterChains(passthroughChains(workloadMode));
    return l.build();
  }

  /** Istio: STRICT/PERMISSIVE/DISABLE per port kind (filterchain_options.go). */
  List<FilterChain> portChains(InboundPort p) {
    List<FilterChain> chains = new ArrayList<>();
    int port = p.port();
    String cluster = clusterName(port);
    boolean http = p.protocol().isHttp();
    boolean auto = p.protocol() == PortProtocol.AUTO;
    switch (p.mode()) {
      case STRICT -> {
        if (http) {
          chains.add(httpChain(port, "mtls-http", match(port, "tls", List.of()), true, cluster));
        } else if (auto) {
          chains.add(httpChain(port, "mtls-http", match(port, "tls", ISTIO_HTTP_ALPNS), true, cluster));
          chains.add(tcpChain(port, "mtls-tcp", match(port, "tls", List.of()), true, cluster));
        } else {
          chains.add(tcpChain(port, "mtls-tcp", match(port, "tls", List.of()), true, cluster));
        }
      }
      case PERMISSIVE -> {
        if (http) {
          chains.add(httpChain(port, "mtls-http", match(port, "tls", ISTIO_ALPNS), true, cluster));
          chains.add(httpChain(port, "plaintext-http", match(port, "raw_buffer", List.of()), false, cluster));
        } else if (auto) {
          chains.add(httpChain(port, "mtls-http", match(port, "tls", ISTIO_HTTP_ALPNS), true, cluster));
          chains.add(tcpChain(port, "mtls-tcp", match(port, "tls", ISTIO_TCP_ALPNS), true, cluster));
          // TLS the app terminates itself (no Istio ALPN): pass it through untouched.
          chains.add(tcpChain(port, "tls-passthrough", match(port, "tls", List.of()), false, cluster));
          chains.add(httpChain(port, "plaintext-http", match(port, "raw_buffer", PLAINTEXT_HTTP_ALPNS), false, cluster));
          chains.add(tcpChain(port, "plaintext-tcp", match(port, "raw_buffer", List.of()), false, cluster));
        } else {
          chains.add(tcpChain(port, "mtls-tcp", match(port, "tls", ISTIO_ALPNS), true, cluster));
          chains.add(tcpChain(port, "tls-passthrough", match(port, "tls", List.of()), false, cluster));
          chains.add(tcpChain(port, "plaintext-tcp", match(port, "raw_buffer", List.of()), false, cluster));
        }
      }
      default -> { // DISABLE
        if (http) {
          chains.add(httpChain(port, "plaintext-http", match(port, "raw_buffer", List.of()), false, cluster));
        } else if (auto) {
          // Envoy does not backtrack from the raw_buffer branch, so the TCP chain must be raw_buffer too.
          chains.add(httpChain(port, "plaintext-http", match(port, "raw_buffer", PLAINTEXT_HTTP_ALPNS), false, cluster));
          chains.add(tcpChain(port, "plaintext-tcp", match(port, "raw_buffer", List.of()), false, cluster));
        } else {
          // No transport_protocol: the app's own TLS (a tls-/https- port) passes through as well.
          chains.add(tcpChain(port, "plaintext-tcp", match(port, "", List.of()), false, cluster));
        }
      }
    }
    return chains;
  }

  /** Ports no Service declares: TCP passthrough to the original destination, at the workload-level mode. */
  List<FilterChain> passthroughChains(MtlsMode mode) {
    List<FilterChain> chains = new ArrayList<>();
    switch (mode) {
      case STRICT -> chains.add(
          tcpChain(0, "virtualInbound-passthrough|mtls", match(0, "tls", List.of()), true, PASSTHROUGH_CLUSTER));
      case PERMISSIVE -> {
        chains.add(tcpChain(0, "virtualInbound-passthrough|mtls", match(0, "tls", ISTIO_ALPNS), true,
            PASSTHROUGH_CLUSTER));
        chains.add(tcpChain(0, "virtualInbound-passthrough|tls", match(0, "tls", List.of()), false,
            PASSTHROUGH_CLUSTER));
        chains.add(tcpChain(0, "virtualInbound-passthrough|plaintext", match(0, "raw_buffer", List.of()), false,
            PASSTHROUGH_CLUSTER));
      }
      default -> chains.add(tcpChain(0, "virtualInbound-passthrough|plaintext", match(0, "", List.of()), false,
          PASSTHROUGH_CLUSTER));
    }
    return chains;
  }

  private static FilterChainMatch match(int port, String transport, List<String> alpn) {
    FilterChainMatch.Builder m = FilterChainMatch.newBuilder();
    if (port > 0) {
      m.setDestinationPort(UInt32Value.of(port));
    }
    if (!transport.isEmpty()) {
      m.setTransportProtocol(transport);
    }
    m.addAllApplicationProtocols(alpn);
    return m.build();
  }

  private FilterChain httpChain(int port, String variant, FilterChainMatch m, boolean mtls, String cluster) {
    FilterChain.Builder c = FilterChain.newBuilder()
        .setName("inbound|" + port + "|" + variant)
        .setFilterChainMatch(m)
        .addFilters(hcmFilters.computeIfAbsent(port, p -> hcmFilter(p, cluster)));
    if (mtls) {
      c.setTransportSocket(tls(MeshTls.INBOUND_HTTP_ALPN));
    }
    return c.build();
  }

  private Filter hcmFilter(int port, String cluster) {
    HttpConnectionManager hcm = HttpConnectionManager.newBuilder()
        .setStatPrefix("inbound_0.0.0.0_" + port)
        .setCodecType(HttpConnectionManager.CodecType.AUTO)
        .setRouteConfig(shared.routes.computeIfAbsent(port, p -> inboundRoute(p, cluster)))
        .addAllHttpFilters(EnvoyFilters.withRouter(
            policyHttpFilters(port)))
        .setForwardClientCertDetails(HttpConnectionManager.ForwardClientCertDetails.APPEND_FORWARD)
        .setSetCurrentClientCertDetails(HttpConnectionManager.SetCurrentClientCertDetails.newBuilder()
            .setSubject(BoolValue.of(true))
            .setUri(true)
            .setDns(true))
        // Istio's default path normalization (BASE): authorization sees the normalized path.
        .setNormalizePath(BoolValue.of(true))
        .setUseRemoteAddress(BoolValue.of(false))
        .build();
    return EnvoyFilters.hcm(hcm);
  }

  private FilterChain tcpChain(int port, String variant, FilterChainMatch m, boolean mtls, String cluster) {
    // The same per port (the cluster follows from the port: inbound|<port>|| or the passthrough cluster).
    List<Filter> filters = networkFilters.computeIfAbsent(port, p -> {
      List<Filter> f = new ArrayList<>(policyNetworkFilters(p));
      f.add(EnvoyFilters.tcpProxy(cluster, cluster));
      return f;
    });
    FilterChain.Builder c = FilterChain.newBuilder()
        .setName(port > 0 ? "inbound|" + port + "|" + variant : variant)
        .setFilterChainMatch(m)
        .addAllFilters(filters);
    if (mtls) {
      c.setTransportSocket(tls(MeshTls.INBOUND_TCP_ALPN));
    }
    return c.build();
  }

  private TransportSocket tls(List<String> alpn) {
    return shared.tls.computeIfAbsent(alpn, a -> MeshTls.tls(MeshTls.sidecarInbound(trustDomains, a, options)));
  }

  private static RouteConfiguration inboundRoute(int port, String cluster) {
    return RouteConfiguration.newBuilder()
        .setName(cluster)
        .setValidateClusters(BoolValue.of(false))
        .addVirtualHosts(VirtualHost.newBuilder()
            .setName("inbound|http|" + port)
            .addDomains("*")
            .addRoutes(Route.newBuilder()
                .setName("default")
                .setMatch(RouteMatch.newBuilder().setPrefix("/"))
                .setRoute(RouteAction.newBuilder()
                    .setCluster(cluster)
                    .setTimeout(EnvoyFilters.seconds(0)))))
        .build();
  }

  private static ListenerFilter listenerFilter(String name, com.google.protobuf.Message config) {
    return ListenerFilter.newBuilder().setName(name).setTypedConfig(Any.pack(config)).build();
  }

  /** {@code inbound|<port>||}: original destination, sourced from 127.0.0.6 as Istio does. */
  public static Cluster inboundCluster(InboundPort p) {
    Cluster.Builder c = Cluster.newBuilder()
        .setName(clusterName(p.port()))
        .setType(Cluster.DiscoveryType.ORIGINAL_DST)
        .setLbPolicy(Cluster.LbPolicy.CLUSTER_PROVIDED)
        .setConnectTimeout(EnvoyFilters.seconds(10))
        .setUpstreamBindConfig(BindConfig.newBuilder()
            .setSourceAddress(SocketAddress.newBuilder().setAddress(INBOUND_BIND_ADDRESS).setPortValue(0)));
    if (p.protocol() == PortProtocol.HTTP2) {
      EnvoyFilters.explicitHttp2(c);
    } else if (p.protocol() == PortProtocol.AUTO) {
      EnvoyFilters.downstreamProtocol(c);
    }
    return c.build();
  }

  private static final Cluster INBOUND_PASSTHROUGH = Cluster.newBuilder()
      .setName(PASSTHROUGH_CLUSTER)
      .setType(Cluster.DiscoveryType.ORIGINAL_DST)
      .setLbPolicy(Cluster.LbPolicy.CLUSTER_PROVIDED)
      .setConnectTimeout(EnvoyFilters.seconds(10))
      .setUpstreamBindConfig(BindConfig.newBuilder()
          .setSourceAddress(SocketAddress.newBuilder().setAddress(INBOUND_BIND_ADDRESS).setPortValue(0)))
      .build();

  /** One immutable instance: every sidecar gets the same, serialized once. */
  public static Cluster inboundPassthroughCluster() {
    return INBOUND_PASSTHROUGH;
  }
}
