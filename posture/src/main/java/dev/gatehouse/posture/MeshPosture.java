package dev.gatehouse.posture;

import dev.gatehouse.model.ContainerPort;
import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.model.ObjectKey;
import dev.gatehouse.model.Workload;
import dev.gatehouse.xds.AuthorizationFilters;
import dev.gatehouse.xds.EffectiveMtls;
import dev.gatehouse.xds.GrpcServerListenerBuilder;
import dev.gatehouse.xds.InboundPort;
import dev.gatehouse.xds.InboundPorts;
import dev.gatehouse.xds.MeshTls;
import dev.gatehouse.xds.MeshTranslation;
import dev.gatehouse.xds.PeerAuthenticationResolver;
import dev.gatehouse.xds.ProxyIdentity;
import dev.gatehouse.xds.ProxyKind;
import dev.gatehouse.xds.ProxyResources;
import dev.gatehouse.xds.SidecarInboundBuilder;
import dev.gatehouse.xds.TranslationNotice;
import dev.gatehouse.xds.dataplane.InboundChainSelector;
import dev.gatehouse.xds.dataplane.InboundChainSelector.Connection;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One analysis' view of the mesh: the snapshot, its translation (the same {@link MeshTranslation} the xDS server
 * runs), and per workload the resources its proxy receives. Questions about a port ("does it take plaintext?") are
 * answered from those resources, by Envoy's filter chain selection, so they agree with the data plane. Thread-safe
 * (memo maps of immutable values).
 */
public final class MeshPosture {
  private static final List<List<String>> MESH_TLS_ALPNS = List.of(
      MeshTls.OUTBOUND_ALPN, MeshTls.OUTBOUND_HTTP_ALPN, MeshTls.OUTBOUND_H2_HTTP_ALPN);
  private static final List<List<String>> PLAINTEXT_ALPNS = List.of(List.of(), List.of("http/1.1"), List.of("h2c"));

  private final PostureInput input;
  private final MeshTranslation translation;
  private final Map<ObjectKey, ProxyResources> resources = new ConcurrentHashMap<>();

  private MeshPosture(PostureInput input) {
    this.input = input;
    this.translation = MeshTranslation.of(input.snapshot(), input.options(), AuthorizationFilters.forMesh(input.options()));
  }

  public static MeshPosture of(PostureInput input) {
    return new MeshPosture(input);
  }

  public PostureInput input() {
    return input;
  }

  public MeshSnapshot snapshot() {
    return input.snapshot();
  }

  public MeshTranslation translation() {
    return translation;
  }

  public PeerAuthenticationResolver peerAuthentication() {
    return translation.peerAuthentication();
  }

  /** {@code namespace/name}, as the CLI and the HTTP endpoints spell a pod. */
  public Optional<Workload> workload(String namespaceSlashName) {
    int slash = namespaceSlashName.indexOf('/');
    if (slash <= 0 || slash == namespaceSlashName.length() - 1) {
      return Optional.empty();
    }
    return snapshot().workload(ObjectKey.of(namespaceSlashName.substring(0, slash),
        namespaceSlashName.substring(slash + 1)));
  }

  public static ProxyKind kind(Workload w) {
    return w.proxylessGrpc() ? ProxyKind.PROXYLESS_GRPC : ProxyKind.SIDECAR;
  }

  /** "sidecar", "proxyless gRPC" or "none". */
  public static String proxyName(Workload w) {
    return w.hasSidecar() ? "sidecar" : w.proxylessGrpc() ? "proxyless gRPC" : "none";
  }

  /** The identity the xDS server gives the pod's proxy when it connects (as for {@code /debug/config_dump}). */
  public static ProxyIdentity identity(Workload w) {
    return new ProxyIdentity(kind(w), w.key(), w.ip(), w.namespace(), w.serviceAccount(), w.labels());
  }

  /** What the workload's proxy receives; empty resources for a pod without proxy. */
  public ProxyResources resources(Workload w) {
    if (!w.inMesh()) {
      return new ProxyResources(Map.of(), List.of());
    }
    return resources.computeIfAbsent(w.key(), k -> input.sentConfig()
        .map(g -> g.generate(snapshot(), identity(w)))
        .orElseGet(() -> translation.translate(identity(w))));
  }

  public EffectiveMtls mtls(Workload w) {
    return peerAuthentication().resolve(w);
  }

  /** The ports the translation builds inbound chains for (Service target ports, portLevelMtls, plaintext ports). */
  public List<InboundPort> inboundPorts(Workload w) {
    return InboundPorts.of(snapshot(), w, mtls(w), input.options(), "", new ArrayList<TranslationNotice>());
  }

  /** Every port the workload can be reached on: container ports and the inbound ports above, sorted. */
  public List<Integer> ports(Workload w) {
    TreeSet<Integer> ports = new TreeSet<>();
    for (ContainerPort cp : w.ports()) {
      if ("TCP".equalsIgnoreCase(cp.protocol())) {
        ports.add(cp.port());
      }
    }
    inboundPorts(w).forEach(p -> ports.add(p.port()));
    return List.copyOf(ports);
  }

  /** The listener that receives inbound connections to {@code port}: virtualInbound, or a gRPC server listener. */
  public Optional<Listener> inboundListener(Workload w, int port) {
    Map<String, com.google.protobuf.Message> listeners = resources(w).of(ProxyResources.LISTENER);
    if (w.hasSidecar()) {
      return Optional.ofNullable((Listener) listeners.get(SidecarInboundBuilder.LISTENER_NAME));
    }
    if (w.proxylessGrpc()) {
      Listener own = w.ip().isEmpty() ? null : (Listener) listeners.get(GrpcServerListenerBuilder.listenerName(w.ip(), port));
      return Optional.ofNullable(own != null ? own
          : (Listener) listeners.get(GrpcServerListenerBuilder.listenerName("0.0.0.0", port)));
    }
    return Optional.empty();
  }

  /**
   * What a port accepts, read from the proxy's listener. Without a proxy, plaintext only and nothing enforced.
   *
   * @param proxied a mesh proxy terminates connections to this port
   * @param mtls a mesh client (Istio ALPN, mesh certificate) gets a chain that terminates mTLS
   * @param plaintext a client without a mesh certificate (kubelet, Prometheus, a pod without sidecar) gets a chain
   * @param chains the chain names that would be used (mTLS first), for display
   */
  public record PortAccess(boolean proxied, boolean mtls, boolean plaintext, List<String> chains) {
    public PortAccess {
      chains = List.copyOf(chains);
    }

    /** Only mutual TLS gets in. */
    public boolean strict() {
      return proxied && mtls && !plaintext;
    }
  }

  public PortAccess access(Workload w, int port) {
    if (!w.inMesh()) {
      return new PortAccess(false, false, true, List.of());
    }
    Optional<Listener> listener = inboundListener(w, port);
    if (listener.isEmpty()) {
      return new PortAccess(true, false, false, List.of());
    }
    List<String> chains = new ArrayList<>();
    if (w.proxylessGrpc()) {
      // grpc-java picks the (single) chain before any handshake; its transport socket decides.
      Optional<FilterChain> chain = InboundChainSelector.select(listener.get(), new Connection(port, "raw_buffer", List.of()));
      boolean tls = chain.map(MeshPosture::terminatesTls).orElse(false);
      chain.ifPresent(c -> chains.add(c.getName()));
      return new PortAccess(true, chain.isPresent() && tls, chain.isPresent() && !tls, chains);
    }
    boolean mtls = false;
    for (List<String> alpn : MESH_TLS_ALPNS) {
      Optional<FilterChain> c = InboundChainSelector.select(listener.get(), new Connection(port, "tls", alpn));
      if (c.isPresent() && terminatesTls(c.get())) {
        mtls = true;
        if (!chains.contains(c.get().getName())) {
          chains.add(c.get().getName());
        }
      }
    }
    boolean plaintext = false;
    for (List<String> alpn : PLAINTEXT_ALPNS) {
      Optional<FilterChain> c = InboundChainSelector.select(listener.get(), new Connection(port, "raw_buffer", alpn));
      if (c.isPresent() && !terminatesTls(c.get()) && !blackHole(c.get())) {
        plaintext = true;
        if (!chains.contains(c.get().getName())) {
          chains.add(c.get().getName());
        }
      }
    }
    return new PortAccess(true, mtls, plaintext, chains);
  }

  public static boolean terminatesTls(FilterChain chain) {
    return chain.hasTransportSocket()
        && chain.getTransportSocket().getTypedConfig().getTypeUrl().endsWith("DownstreamTlsContext");
  }

  private static boolean blackHole(FilterChain chain) {
    return chain.getName().endsWith("-blackhole");
  }
}
