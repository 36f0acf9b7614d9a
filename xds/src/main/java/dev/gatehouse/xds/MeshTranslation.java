package dev.gatehouse.xds;

import com.google.protobuf.Message;
import dev.gatehouse.api.istio.networking.v1alpha3.DestinationRule;
import dev.gatehouse.api.istio.networking.v1alpha3.Subset;
import dev.gatehouse.model.ContainerPort;
import dev.gatehouse.model.InvalidPolicy;
import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.model.ObjectKey;
import dev.gatehouse.model.Policy;
import dev.gatehouse.model.PolicyKind;
import dev.gatehouse.model.ResourceMeta;
import dev.gatehouse.model.ServiceInfo;
import dev.gatehouse.model.ServicePort;
import dev.gatehouse.model.Workload;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The translation of one mesh snapshot, shared by every proxy connected while that snapshot is current.
 *
 * <p>What is shared, and by whom:
 * <ul>
 *   <li>the PeerAuthentication resolution, DestinationRule index, authorization filters ({@link InboundPolicySource})
 *       and mesh-wide findings: built once per snapshot;
 *   <li>each outbound cluster: once per (cluster name, applicable DestinationRule), shared by all client namespaces
 *       that resolve the same rule; each ClusterLoadAssignment once per (cluster name, subset labels);
 *   <li>the outbound listeners/routes/clusters/endpoints: once per (data-plane kind, client namespace);
 *   <li>a proxy's whole {@link ProxyResources}: once per {@link ProxyKey} (kind, namespace, labels, service account,
 *       container ports), so all replicas of a Deployment share one instance. Only proxyless server listeners named
 *       after the pod IP are added per proxy (a cheap rename of shared listeners).
 * </ul>
 * {@link #next(MeshSnapshot)} carries the shared parts over to the next snapshot when their inputs did not change
 * (e.g. one namespace's AuthorizationPolicy changed: only that namespace's proxies are re-translated).
 *
 * <p>Thread-safe: all memos are concurrent maps of immutable values; translation itself is pure.
 */
public final class MeshTranslation {
  private final MeshSnapshot snapshot;
  private final TranslationOptions options;
  private final Function<MeshSnapshot, InboundPolicySource> policyFactory;
  private final InboundPolicySource policies;
  private final PeerAuthenticationResolver peerAuth;
  private final DestinationRuleIndex destinationRules;
  private final OutboundClusterBuilder clusterBuilder;
  private final LoadAssignmentBuilder loadAssignments;
  private final Map<OutboundKey, Outbound> outbound;
  private final Map<ClusterKey, BuiltCluster> clusters;
  private final Map<EndpointKey, ClusterLoadAssignment> endpoints;
  private final Map<ProxyKey, ProxyResources> proxies;
  private final Map<IpKey, ProxyResources> perIp = new ConcurrentHashMap<>();
  private volatile List<TranslationError> errors;

  /** The inputs that decide a proxy's resources, apart from its IP. */
  public record ProxyKey(
      ProxyKind kind, String namespace, Map<String, String> labels, String serviceAccount, List<ContainerPort> ports) {}

  private record IpKey(ProxyKey key, String ip) {}

  private record OutboundKey(ProxyKind kind, String clientNamespace) {}

  private record ClusterKey(ProxyKind kind, String name, ObjectKey destinationRule) {}

  private record EndpointKey(String name, Map<String, String> subsetLabels) {}

  private record BuiltCluster(Optional<Cluster> cluster, List<TranslationError> errors) {}

  /** Sorted, unmodifiable maps shared by every proxy of one (kind, namespace). */
  private record Outbound(
      java.util.NavigableMap<String, Message> listeners,
      java.util.NavigableMap<String, Message> routes,
      java.util.NavigableMap<String, Message> clusters,
      java.util.NavigableMap<String, Message> endpoints,
      List<TranslationError> errors) {}

  private MeshTranslation(
      MeshSnapshot snapshot,
      TranslationOptions options,
      Function<MeshSnapshot, InboundPolicySource> policyFactory,
      MeshTranslation carryOutboundFrom,
      Set<String> changedNamespaces) {
    this.snapshot = snapshot;
    this.options = options;
    this.policyFactory = policyFactory;
    this.policies = policyFactory.apply(snapshot);
    this.peerAuth = new PeerAuthenticationResolver(snapshot);
    this.destinationRules = new DestinationRuleIndex(snapshot);
    this.clusterBuilder = new OutboundClusterBuilder(snapshot, peerAuth, options);
    this.loadAssignments = new LoadAssignmentBuilder(snapshot, peerAuth);
    if (carryOutboundFrom != null) {
      this.outbound = carryOutboundFrom.outbound;
      this.clusters = carryOutboundFrom.clusters;
      this.endpoints = carryOutboundFrom.endpoints;
      this.proxies = new ConcurrentHashMap<>();
      carryOutboundFrom.proxies.forEach((k, v) -> {
        if (!changedNamespaces.contains(k.namespace())) {
          proxies.put(k, v);
        }
      });
    } else {
      this.outbound = new ConcurrentHashMap<>();
      this.clusters = new ConcurrentHashMap<>();
      this.endpoints = new ConcurrentHashMap<>();
      this.proxies = new ConcurrentHashMap<>();
    }
  }

  public static MeshTranslation of(
      MeshSnapshot snapshot, TranslationOptions options, Function<MeshSnapshot, InboundPolicySource> policyFactory) {
    return new MeshTranslation(snapshot, options, policyFactory, null, Set.of());
  }

  public MeshSnapshot snapshot() {
    return snapshot;
  }

  public TranslationOptions options() {
    return options;
  }

  /**
   * The translation of a newer snapshot, reusing what did not change. When only AuthorizationPolicies or
   * RequestAuthentications changed (outside the root namespace), outbound resources and the proxies of untouched
   * namespaces are reused; anything else starts afresh.
   */
  public MeshTranslation next(MeshSnapshot newer) {
    if (newer == snapshot) {
      return this;
    }
    if (!sameOutboundInputs(snapshot, newer)) {
      return of(newer, options, policyFactory);
    }
    Set<String> changed = new HashSet<>();
    Set<String> namespaces = new HashSet<>();
    snapshot.authorizationPolicies().forEach(p -> namespaces.add(p.namespace()));
    newer.authorizationPolicies().forEach(p -> namespaces.add(p.namespace()));
    snapshot.requestAuthentications().forEach(p -> namespaces.add(p.namespace()));
    newer.requestAuthentications().forEach(p -> namespaces.add(p.namespace()));
    snapshot.invalidPolicies().forEach(p -> namespaces.add(p.meta().namespace()));
    newer.invalidPolicies().forEach(p -> namespaces.add(p.meta().namespace()));
    for (String ns : namespaces) {
      if (!snapshot.authorizationPoliciesIn(ns).equals(newer.authorizationPoliciesIn(ns))
          || !snapshot.requestAuthenticationsIn(ns).equals(newer.requestAuthenticationsIn(ns))
          || !snapshot.invalidPoliciesIn(ns).equals(newer.invalidPoliciesIn(ns))) {
        changed.add(ns);
      }
    }
    if (changed.contains(newer.mesh().rootNamespace())) {
      return new MeshTranslation(newer, options, policyFactory, this, allNamespaces());
    }
    return new MeshTranslation(newer, options, policyFactory, this, changed);
  }

  private Set<String> allNamespaces() {
    Set<String> all = new HashSet<>();
    proxies.keySet().forEach(k -> all.add(k.namespace()));
    return all;
  }

  private static boolean sameOutboundInputs(MeshSnapshot a, MeshSnapshot b) {
    return a.mesh().equals(b.mesh())
        && a.workloads().equals(b.workloads())
        && a.services().equals(b.services())
        && a.endpointSlices().equals(b.endpointSlices())
        && a.destinationRules().equals(b.destinationRules())
        && a.peerAuthentications().equals(b.peerAuthentications())
        && invalidOf(a, PolicyKind.PEER_AUTHENTICATION, PolicyKind.DESTINATION_RULE)
            .equals(invalidOf(b, PolicyKind.PEER_AUTHENTICATION, PolicyKind.DESTINATION_RULE));
  }

  private static List<InvalidPolicy> invalidOf(MeshSnapshot s, PolicyKind... kinds) {
    List<PolicyKind> k = List.of(kinds);
    return s.invalidPolicies().stream().filter(p -> k.contains(p.kind())).toList();
  }

  /** Mesh-wide translation errors (PeerAuthentication findings, authorization errors), for status and analysis. */
  public List<TranslationError> errors() {
    List<TranslationError> e = errors;
    if (e == null) {
      List<TranslationError> all = new ArrayList<>(peerAuth.findings());
      all.addAll(policies.errors());
      e = List.copyOf(all);
      errors = e;
    }
    return e;
  }

  public PeerAuthenticationResolver peerAuthentication() {
    return peerAuth;
  }

  /** The workload a proxy runs for: the snapshot's pod when known, else one described by the node's metadata. */
  public Workload workloadOf(ProxyIdentity proxy) {
    return snapshot.workload(proxy.workload()).orElseGet(() -> new Workload(
        new ResourceMeta("v1", "Pod", proxy.namespace(), proxy.workload().name(), null, "", proxy.labels(), Map.of(),
            "xds node"),
        proxy.serviceAccount(), proxy.ip(), List.of(), proxy.kind() == ProxyKind.SIDECAR,
        proxy.kind() == ProxyKind.PROXYLESS_GRPC));
  }

  public ProxyResources translate(ProxyIdentity proxy) {
    Workload w = workloadOf(proxy);
    ProxyKey key = new ProxyKey(proxy.kind(), w.namespace(), w.labels(), w.serviceAccount(), w.ports());
    ProxyResources shared = proxies.computeIfAbsent(key, k -> build(k.kind(), w));
    if (proxy.kind() != ProxyKind.PROXYLESS_GRPC || w.ip().isEmpty()) {
      return shared;
    }
    return perIp.computeIfAbsent(new IpKey(key, w.ip()), k -> withPodIpListeners(shared, k.ip()));
  }

  private ProxyResources build(ProxyKind kind, Workload w) {
    List<TranslationError> errs = new ArrayList<>();
    List<TranslationNotice> notices = new ArrayList<>();
    for (TranslationError e : peerAuth.findings()) {
      if (e.policy().contains(" " + w.namespace() + "/") || e.policy().contains(" " + snapshot.mesh().rootNamespace() + "/")) {
        errs.add(e);
      }
    }
    EffectiveMtls mtls = peerAuth.resolve(w);
    List<InboundPort> ports = InboundPorts.of(snapshot, w, mtls, options, subject(w), notices);
    Outbound out = outbound.computeIfAbsent(new OutboundKey(kind, w.namespace()), this::buildOutbound);
    errs.addAll(out.errors());
    TreeMap<String, Message> ownListeners = new TreeMap<>();
    TreeMap<String, Message> ownClusters = new TreeMap<>();
    if (kind == ProxyKind.SIDECAR) {
      SidecarInboundBuilder inbound =
          new SidecarInboundBuilder(w, policies, trustDomains(), options);
      ownListeners.put(SidecarInboundBuilder.LISTENER_NAME, inbound.listener(ports, mtls.workloadMode()));
      for (InboundPort p : ports) {
        ownClusters.put(SidecarInboundBuilder.clusterName(p.port()), SidecarInboundBuilder.inboundCluster(p));
      }
      ownClusters.put(SidecarInboundBuilder.PASSTHROUGH_CLUSTER, SidecarInboundBuilder.inboundPassthroughCluster());
    } else {
      GrpcServerListenerBuilder server = new GrpcServerListenerBuilder(w, policies);
      for (InboundPort p : ports) {
        if (p.mode() == dev.gatehouse.model.MtlsMode.PERMISSIVE) {
          notices.add(new TranslationNotice(subject(w) + " port " + p.port(),
              "PERMISSIVE on a proxyless gRPC server is served as plaintext: grpc-java cannot accept TLS and "
                  + "plaintext on one port (Istio does the same); use STRICT for mTLS"));
        }
        for (String ip : GrpcServerListenerBuilder.wildcardAddresses()) {
          Listener l = server.listener(p, ip);
          ownListeners.put(l.getName(), l);
        }
      }
    }
    Map<String, Map<String, Message>> byType = new TreeMap<>();
    byType.put(ProxyResources.LISTENER, new SortedOverlay<>(out.listeners(), ownListeners));
    byType.put(ProxyResources.ROUTE, out.routes());
    byType.put(ProxyResources.CLUSTER, new SortedOverlay<>(out.clusters(), ownClusters));
    byType.put(ProxyResources.ENDPOINT, out.endpoints());
    return new ProxyResources(byType, dedupe(errs), notices);
  }

  /** Shared resources are per label set, not per pod, so notices name the workload by what it shares. */
  private static String subject(Workload w) {
    return "Workloads " + w.namespace() + "/" + new TreeMap<>(w.labels()) + " (service account " + w.serviceAccount()
        + ")";
  }

  private static List<TranslationError> dedupe(List<TranslationError> errs) {
    return List.copyOf(new java.util.LinkedHashSet<>(errs));
  }

  private ProxyResources withPodIpListeners(ProxyResources shared, String ip) {
    TreeMap<String, Message> own = new TreeMap<>();
    String wildcard = GrpcServerListenerBuilder.listenerName("0.0.0.0", 0);
    String prefix = wildcard.substring(0, wildcard.length() - 1);
    for (Message m : shared.of(ProxyResources.LISTENER).values()) {
      Listener l = (Listener) m;
      if (l.getName().startsWith(prefix)) {
        int port = l.getAddress().getSocketAddress().getPortValue();
        Listener forIp = GrpcServerListenerBuilder.forIp(l, ip, port);
        own.put(forIp.getName(), forIp);
      }
    }
    Map<String, Map<String, Message>> byType = new TreeMap<>(shared.resourcesByType());
    byType.put(ProxyResources.LISTENER, new SortedOverlay<>(sortedView(shared.of(ProxyResources.LISTENER)), own));
    return new ProxyResources(byType, shared.errors(), shared.notices());
  }

  @SuppressWarnings("unchecked")
  private static java.util.NavigableMap<String, Message> sortedView(Map<String, Message> m) {
    return m instanceof java.util.NavigableMap<?, ?> n ? (java.util.NavigableMap<String, Message>) n : new TreeMap<>(m);
  }

  private List<String> trustDomains() {
    List<String> tds = new ArrayList<>();
    tds.add(snapshot.mesh().trustDomain());
    snapshot.mesh().trustDomainAliases().forEach(td -> {
      if (!tds.contains(td)) {
        tds.add(td);
      }
    });
    return tds;
  }

  private Outbound buildOutbound(OutboundKey key) {
    Map<String, Listener> listeners = new TreeMap<>();
    Map<String, RouteConfiguration> routes = new TreeMap<>();
    Map<String, Cluster> clusterMap = new TreeMap<>();
    Map<String, ClusterLoadAssignment> cla = new TreeMap<>();
    List<TranslationError> errs = new ArrayList<>();
    List<ServiceInfo> services = List.copyOf(snapshot.services().values());
    if (key.kind() == ProxyKind.SIDECAR) {
      listeners.put(SidecarOutboundBuilder.LISTENER_NAME, SidecarOutboundBuilder.virtualOutbound());
      SidecarOutboundBuilder.build(services, key.clientNamespace(), listeners, routes);
      clusterMap.put(SidecarOutboundBuilder.PASSTHROUGH_CLUSTER, SidecarOutboundBuilder.passthroughCluster());
      Cluster blackHole = SidecarOutboundBuilder.blackHoleCluster();
      clusterMap.put(blackHole.getName(), blackHole);
    }
    for (ServiceInfo s : services) {
      Optional<Policy<DestinationRule>> dr = destinationRules.forService(s, key.clientNamespace());
      for (ServicePort sp : s.ports()) {
        if (!"TCP".equalsIgnoreCase(sp.protocol())) {
          continue;
        }
        if (key.kind() == ProxyKind.PROXYLESS_GRPC) {
          GrpcClientBuilder.build(s, sp, listeners, routes);
          addCluster(key.kind(), s, sp, "", Map.of(), dr, clusterMap, cla, errs);
        } else {
          addCluster(key.kind(), s, sp, "", Map.of(), dr, clusterMap, cla, errs);
          if (dr.isPresent()) {
            for (Subset subset : dr.get().spec().getSubsetsList()) {
              addCluster(key.kind(), s, sp, subset.getName(), subset.getLabelsMap(), dr, clusterMap, cla, errs);
            }
          }
        }
      }
    }
    return new Outbound(
        Collections.unmodifiableNavigableMap(new TreeMap<String, Message>(listeners)),
        Collections.unmodifiableNavigableMap(new TreeMap<String, Message>(routes)),
        Collections.unmodifiableNavigableMap(new TreeMap<String, Message>(clusterMap)),
        Collections.unmodifiableNavigableMap(new TreeMap<String, Message>(cla)),
        dedupe(errs));
  }

  private void addCluster(
      ProxyKind kind, ServiceInfo s, ServicePort sp, String subset, Map<String, String> subsetLabels,
      Optional<Policy<DestinationRule>> dr, Map<String, Cluster> clusterMap, Map<String, ClusterLoadAssignment> cla,
      List<TranslationError> errs) {
    String name = OutboundClusterBuilder.clusterName(sp.port(), subset, s.fqdn());
    BuiltCluster built = clusters.computeIfAbsent(
        new ClusterKey(kind, name, dr.map(Policy::key).orElse(null)),
        k -> {
          List<TranslationError> e = new ArrayList<>();
          Optional<Cluster> c = kind == ProxyKind.SIDECAR
              ? Optional.of(clusterBuilder.sidecarCluster(s, sp, subset, dr, e))
              : clusterBuilder.grpcCluster(s, sp, dr, e);
          return new BuiltCluster(c, List.copyOf(e));
        });
    errs.addAll(built.errors());
    if (built.cluster().isPresent()) {
      clusterMap.put(name, built.cluster().get());
      cla.put(name, endpoints.computeIfAbsent(new EndpointKey(name, Map.copyOf(subsetLabels)),
          k -> loadAssignments.build(name, s, sp, subsetLabels)));
    }
  }

  @Override
  public String toString() {
    return "MeshTranslation{snapshot=" + snapshot.version() + ", proxies=" + proxies.size() + "}";
  }
}
