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
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
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
 *   <li>the PeerAuthentication resolution, DestinationRule index, Service visibility ({@link ServiceVisibility}:
 *       exportTo), authorization filters ({@link InboundPolicySource}) and mesh-wide findings: built once per
 *       snapshot;
 *   <li>each service's outbound clusters, TCP listeners and virtual hosts: once per (data-plane kind, service,
 *       applicable DestinationRule), shared by all client namespaces that see the service under the same rule; each
 *       ClusterLoadAssignment once per (cluster name, subset labels);
 *   <li>the outbound listener/cluster/endpoint maps: once per distinct list of those parts (without exportTo and
 *       client-side rules, one for the whole mesh); the HTTP route configurations once per (data-plane kind, client
 *       namespace), since a service's short name resolves only in its own namespace;
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
  private final ServiceVisibility visibility;
  /**
   * The memos, one set per namespace ({@link NamespaceMemo}): a derived translation ({@link #next}) copies this map
   * (one entry per namespace) and replaces only the entries of the namespaces its change concerns, so that deriving
   * costs in proportion to the namespaces and the change, not to every proxy and service in the mesh.
   */
  private final Map<String, NamespaceMemo> memos;
  /** Namespace views with the same parts share one instance (without exportTo or rules: the whole mesh). */
  private final Map<PartsKey, SharedOutbound> sharedOutbound;
  private final SidecarInboundBuilder.Shared inboundShared;
  private static final java.util.concurrent.atomic.AtomicLong IDS = new java.util.concurrent.atomic.AtomicLong();
  /** Unique per translation (two translations of one snapshot with other options differ). */
  private final long id = IDS.incrementAndGet();
  /** The {@link #id} of the translation this one was derived from ({@link #next}); -1 for a fresh translation. */
  private final long baseId;
  /** The proxies whose resources may differ from {@link #base}'s translation. */
  private final ProxyScope changedFromBase;
  private volatile List<TranslationError> errors;

  /** The inputs that decide a proxy's resources, apart from its IP. */
  public record ProxyKey(
      ProxyKind kind, String namespace, Map<String, String> labels, String serviceAccount, List<ContainerPort> ports) {}

  private record IpKey(ProxyKey key, String ip) {}

  private record OutboundKey(ProxyKind kind, String clientNamespace) {}

  private record EndpointKey(String name, Map<String, String> subsetLabels) {}

  /** Sorted, unmodifiable maps shared by every proxy of one (kind, namespace); {@code shared} is what they came from. */
  private record Outbound(
      java.util.NavigableMap<String, Message> listeners,
      java.util.NavigableMap<String, Message> routes,
      java.util.NavigableMap<String, Message> clusters,
      java.util.NavigableMap<String, Message> endpoints,
      List<TranslationError> errors,
      SharedOutbound shared) {}

  /**
   * The memos of one namespace: the resources of its proxies, its outbound views (as a client namespace), and the
   * outbound parts and ClusterLoadAssignments of its services. Translations share an instance while nothing it holds
   * can differ between them; {@link #next} gives a namespace a new instance (sharing the maps that stay valid) when
   * its proxies are re-translated or an endpoint change reaches it. A stale translation that fills a shared
   * instance late computes the same values, since everything such an instance holds had equal inputs in both.
   */
  private record NamespaceMemo(
      Map<ProxyKey, ProxyResources> proxies,
      Map<IpKey, ProxyResources> perIp,
      Map<ResourcesKey, ProxyResources> resources,
      Map<ProxyKind, Outbound> outbound,
      Map<ServiceOutKey, ServiceOut> serviceOuts,
      Map<EndpointKey, ClusterLoadAssignment> endpoints) {
    NamespaceMemo() {
      this(new ConcurrentHashMap<>(), new ConcurrentHashMap<>(), new ConcurrentHashMap<>(), new ConcurrentHashMap<>(),
          new ConcurrentHashMap<>(), new ConcurrentHashMap<>());
    }

    /** Its proxies to be translated afresh; its outbound views and service parts kept. */
    NamespaceMemo withoutProxies() {
      return new NamespaceMemo(new ConcurrentHashMap<>(), new ConcurrentHashMap<>(), new ConcurrentHashMap<>(),
          outbound, serviceOuts, endpoints);
    }
  }

  private MeshTranslation(
      MeshSnapshot snapshot,
      TranslationOptions options,
      Function<MeshSnapshot, InboundPolicySource> policyFactory,
      MeshTranslation from,
      Set<String> changedNamespaces,
      boolean allProxiesChanged,
      Set<ObjectKey> changedEndpoints) {
    this.snapshot = snapshot;
    this.baseId = from == null ? -1 : from.id;
    Set<String> scope = new HashSet<>(changedNamespaces);
    this.options = options;
    this.policyFactory = policyFactory;
    this.policies = policyFactory.apply(snapshot);
    this.peerAuth = new PeerAuthenticationResolver(snapshot);
    this.destinationRules = new DestinationRuleIndex(snapshot);
    this.clusterBuilder = new OutboundClusterBuilder(snapshot, peerAuth, options);
    this.loadAssignments = new LoadAssignmentBuilder(snapshot, peerAuth);
    this.inboundShared = new SidecarInboundBuilder.Shared(trustDomains(), options);
    if (from == null) {
      this.visibility = new ServiceVisibility(snapshot);
      this.memos = new ConcurrentHashMap<>();
      this.sharedOutbound = new ConcurrentHashMap<>();
    } else {
      this.visibility = from.visibility;
      this.memos = new ConcurrentHashMap<>(from.memos);
      for (String ns : changedNamespaces) {
        NamespaceMemo m = memos.get(ns);
        if (m != null) {
          memos.put(ns, m.withoutProxies());
        }
      }
      this.sharedOutbound = changedEndpoints.isEmpty()
          ? from.sharedOutbound
          : patchEndpoints(from, changedEndpoints, scope);
    }
    this.changedFromBase = baseId < 0 || allProxiesChanged ? ProxyScope.all() : ProxyScope.namespaces(scope);
  }

  public static MeshTranslation of(
      MeshSnapshot snapshot, TranslationOptions options, Function<MeshSnapshot, InboundPolicySource> policyFactory) {
    return new MeshTranslation(snapshot, options, policyFactory, null, Set.of(), true, Set.of());
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
    if (!sameOutboundInputsButEndpoints(snapshot, newer)) {
      return of(newer, options, policyFactory);
    }
    Set<ObjectKey> changedEndpoints = changedEndpointServices(snapshot, newer);
    Set<String> changed = new HashSet<>();
    Set<String> namespaces = new HashSet<>();
    // A derived snapshot shares the lists of the parts that did not change: nothing to compare there.
    if (snapshot.authorizationPolicies() != newer.authorizationPolicies()) {
      snapshot.authorizationPolicies().forEach(p -> namespaces.add(p.namespace()));
      newer.authorizationPolicies().forEach(p -> namespaces.add(p.namespace()));
    }
    if (snapshot.requestAuthentications() != newer.requestAuthentications()) {
      snapshot.requestAuthentications().forEach(p -> namespaces.add(p.namespace()));
      newer.requestAuthentications().forEach(p -> namespaces.add(p.namespace()));
    }
    if (snapshot.invalidPolicies() != newer.invalidPolicies()) {
      snapshot.invalidPolicies().forEach(p -> namespaces.add(p.meta().namespace()));
      newer.invalidPolicies().forEach(p -> namespaces.add(p.meta().namespace()));
    }
    for (String ns : namespaces) {
      if (!snapshot.authorizationPoliciesIn(ns).equals(newer.authorizationPoliciesIn(ns))
          || !snapshot.requestAuthenticationsIn(ns).equals(newer.requestAuthenticationsIn(ns))
          || !snapshot.invalidPoliciesIn(ns).equals(newer.invalidPoliciesIn(ns))) {
        changed.add(ns);
      }
    }
    if (changed.contains(newer.mesh().rootNamespace())) {
      return new MeshTranslation(newer, options, policyFactory, this, allNamespaces(), true, changedEndpoints);
    }
    return new MeshTranslation(newer, options, policyFactory, this, changed, false, changedEndpoints);
  }

  /** Unique per translation; see {@link #changedSince}. */
  public long id() {
    return id;
  }

  /**
   * Which proxies may get other resources from this translation than from the translation with id
   * {@code previousId}: none when that is this one, the namespaces {@link #next} re-translated or patched when this
   * one was derived directly from it, all otherwise (a fresh translation, other options, a translation in between).
   */
  public ProxyScope changedSince(long previousId) {
    if (previousId == id) {
      return ProxyScope.none();
    }
    return previousId == baseId ? changedFromBase : ProxyScope.all();
  }

  private Set<String> allNamespaces() {
    return new HashSet<>(memos.keySet());
  }

  /** Everything but EndpointSlices: those decide only ClusterLoadAssignments (pods, and so labels, unchanged). */
  private static boolean sameOutboundInputsButEndpoints(MeshSnapshot a, MeshSnapshot b) {
    return a.mesh().equals(b.mesh())
        && SnapshotMaps.sameEntries(a.workloads(), b.workloads())
        && SnapshotMaps.sameEntries(a.services(), b.services())
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
      all.addAll(visibility.errors());
      all.addAll(destinationRules.errors());
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
    NamespaceMemo memo = memo(w.namespace());
    ProxyResources shared = memo.proxies().computeIfAbsent(key, k -> build(k.kind(), w));
    if (proxy.kind() != ProxyKind.PROXYLESS_GRPC || w.ip().isEmpty()) {
      return shared;
    }
    return memo.perIp().computeIfAbsent(new IpKey(key, w.ip()), k -> withPodIpListeners(shared, k.ip()));
  }

  private NamespaceMemo memo(String namespace) {
    return memos.computeIfAbsent(namespace, ns -> new NamespaceMemo());
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
    Outbound out = memo(w.namespace()).outbound()
        .computeIfAbsent(kind, k -> buildOutbound(new OutboundKey(k, w.namespace())));
    errs.addAll(out.errors());
    TreeMap<String, Message> ownListeners = new TreeMap<>();
    TreeMap<String, Message> ownClusters = new TreeMap<>();
    if (kind == ProxyKind.SIDECAR) {
      SidecarInboundBuilder inbound =
          new SidecarInboundBuilder(w, policies, inboundShared);
      ownListeners.put(SidecarInboundBuilder.LISTENER_NAME, inbound.listener(ports, mtls.workloadMode()));
      for (InboundPort p : ports) {
        ownClusters.put(SidecarInboundBuilder.clusterName(p.port()), inboundShared.inboundCluster(p));
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
    List<TranslationError> errors = dedupe(errs);
    if (kind == ProxyKind.SIDECAR) {
      // Every part is a shared instance: label sets that select the same policies (and so get the same inbound
      // listener) share one ProxyResources, and with it one serialized config.
      List<Object> parts = new ArrayList<>(List.of(out));
      parts.addAll(ownListeners.values());
      parts.addAll(ownClusters.values());
      List<String> names = new ArrayList<>(ownListeners.keySet());
      names.addAll(ownClusters.keySet());
      return memo(w.namespace()).resources().computeIfAbsent(
          new ResourcesKey(new IdentityKey(parts), names, errors, List.copyOf(notices)),
          k -> resources(out, ownListeners, ownClusters, k.errors(), k.notices()));
    }
    return resources(out, ownListeners, ownClusters, errors, notices);
  }

  /** The outbound view and the proxy's own messages by identity (all shared instances), their names by value. */
  private record ResourcesKey(
      IdentityKey parts, List<String> names, List<TranslationError> errors, List<TranslationNotice> notices) {}

  private static ProxyResources resources(
      Outbound out,
      java.util.NavigableMap<String, Message> ownListeners,
      java.util.NavigableMap<String, Message> ownClusters,
      List<TranslationError> errors,
      List<TranslationNotice> notices) {
    Map<String, Map<String, Message>> byType = new TreeMap<>();
    byType.put(ProxyResources.LISTENER, new SortedOverlay<>(out.listeners(), ownListeners));
    byType.put(ProxyResources.ROUTE, out.routes());
    byType.put(ProxyResources.CLUSTER, new SortedOverlay<>(out.clusters(), ownClusters));
    byType.put(ProxyResources.ENDPOINT, out.endpoints());
    return new ProxyResources(byType, errors, notices);
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

  /**
   * A namespace's outbound view: the services visible to it (exportTo), each with the DestinationRule that applies
   * for this namespace. The per-service parts are shared by all namespaces that resolve the same rule; the listener,
   * cluster and endpoint maps by all namespaces with the same parts (with no exportTo and no client-side rules: all
   * of them); only the HTTP route configurations are per namespace (a service's short name resolves only in its own
   * namespace).
   */
  private Outbound buildOutbound(OutboundKey key) {
    List<ServiceOut> parts = new ArrayList<>();
    for (ServiceInfo s : visibility.candidates(snapshot, key.clientNamespace())) {
      if (!visibility.everythingVisible() && !visibility.visible(s, key.clientNamespace())) {
        continue;
      }
      Optional<Policy<DestinationRule>> dr = destinationRules.forService(s, key.clientNamespace());
      parts.add(memo(s.namespace()).serviceOuts().computeIfAbsent(
          new ServiceOutKey(key.kind(), s.key(), dr.map(Policy::key).orElse(null)),
          k -> buildServiceOut(k.kind(), s, dr)));
    }
    SharedOutbound shared = sharedOutbound.computeIfAbsent(new PartsKey(key.kind(), parts),
        this::buildShared);
    java.util.NavigableMap<String, Message> routes = shared.routes();
    if (key.kind() == ProxyKind.SIDECAR) {
      routes = sidecarRoutes(shared, key.clientNamespace());
    }
    List<TranslationError> errs = shared.errors();
    if (!visibility.errors().isEmpty() || !destinationRules.errors().isEmpty()) {
      // A bad exportTo (Service annotation or DestinationRule) decides what every namespace sees: every proxy
      // reports it.
      List<TranslationError> all = new ArrayList<>(visibility.errors());
      all.addAll(destinationRules.errors());
      all.addAll(errs);
      errs = dedupe(all);
    }
    return new Outbound(shared.listeners(), routes, shared.clusters(), shared.endpoints(), errs, shared);
  }

  /** One service's outbound resources for one (data-plane kind, applicable DestinationRule). Identity equality. */
  private static final class ServiceOut {
    final ServiceInfo service;
    final List<Map.Entry<String, Message>> listeners = new ArrayList<>();
    final List<Map.Entry<String, Message>> routes = new ArrayList<>();
    final List<Map.Entry<String, Message>> clusters = new ArrayList<>();
    final List<Map.Entry<String, Message>> endpoints = new ArrayList<>();
    /** What each entry of {@link #endpoints} was built from, in the same order (to rebuild it alone). */
    final List<EndpointInput> endpointInputs = new ArrayList<>();
    /** Sidecar HTTP ports: the virtual host for clients in other namespaces, and for its own namespace. */
    final List<PortHost> hosts = new ArrayList<>();
    final List<TranslationError> errors = new ArrayList<>();

    ServiceOut(ServiceInfo service) {
      this.service = service;
    }
  }

  private record EndpointInput(EndpointKey key, ServicePort port) {}

  private record PortHost(int port, VirtualHost otherNamespace, VirtualHost ownNamespace) {}

  private record ServiceOutKey(ProxyKind kind, ObjectKey service, ObjectKey destinationRule) {}

  /** The parts of a namespace's view; ServiceOut compares by identity, so this is cheap to hash and compare. */
  private static final class PartsKey {
    final ProxyKind kind;
    final List<ServiceOut> parts;
    /** Cached: a view of the whole mesh has one part per service, and the memo is asked once per namespace. */
    private final int hash;

    PartsKey(ProxyKind kind, List<ServiceOut> parts) {
      this.kind = kind;
      this.parts = List.copyOf(parts);
      this.hash = 31 * kind.hashCode() + this.parts.hashCode();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof PartsKey k && hash == k.hash && kind == k.kind && parts.equals(k.parts);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }

  private record SharedOutbound(
      PartsKey key,
      java.util.NavigableMap<String, Message> listeners,
      java.util.NavigableMap<String, Message> routes,
      java.util.NavigableMap<String, Message> clusters,
      java.util.NavigableMap<String, Message> endpoints,
      List<TranslationError> errors,
      Map<Integer, List<HostRef>> sortedHosts) {}

  /** A virtual host of a service in {@code namespace}, in route-configuration order. */
  private record HostRef(String namespace, PortHost host) {}

  private ServiceOut buildServiceOut(ProxyKind kind, ServiceInfo s, Optional<Policy<DestinationRule>> dr) {
    ServiceOut out = new ServiceOut(s);
    for (ServicePort sp : s.ports()) {
      if (!"TCP".equalsIgnoreCase(sp.protocol())) {
        continue;
      }
      if (kind == ProxyKind.PROXYLESS_GRPC) {
        Map<String, Listener> l = new TreeMap<>();
        Map<String, RouteConfiguration> r = new TreeMap<>();
        GrpcClientBuilder.build(s, sp, l, r);
        l.forEach((n, m) -> out.listeners.add(Map.entry(n, m)));
        r.forEach((n, m) -> out.routes.add(Map.entry(n, m)));
        addCluster(kind, s, sp, "", Map.of(), dr, out);
      } else {
        String cluster = OutboundClusterBuilder.clusterName(sp.port(), "", s.fqdn());
        if (PortProtocol.of(sp).isHttp()) {
          out.hosts.add(new PortHost(sp.port(),
              SidecarOutboundBuilder.virtualHost(s, sp.port(), cluster, ""),
              SidecarOutboundBuilder.virtualHost(s, sp.port(), cluster, s.namespace())));
        } else if (!s.clusterIp().isEmpty() && !s.headless()) {
          Listener l = SidecarOutboundBuilder.tcpListener(s, sp.port(), cluster);
          out.listeners.add(Map.entry(l.getName(), l));
        }
        addCluster(kind, s, sp, "", Map.of(), dr, out);
        if (dr.isPresent()) {
          for (Subset subset : dr.get().spec().getSubsetsList()) {
            addCluster(kind, s, sp, subset.getName(), subset.getLabelsMap(), dr, out);
          }
        }
      }
    }
    return out;
  }

  private SharedOutbound buildShared(PartsKey key) {
    TreeMap<String, Message> listeners = new TreeMap<>();
    TreeMap<String, Message> routes = new TreeMap<>();
    TreeMap<String, Message> clusterMap = new TreeMap<>();
    TreeMap<String, Message> cla = new TreeMap<>();
    List<TranslationError> errs = new ArrayList<>();
    Map<Integer, List<HostRef>> hosts = new TreeMap<>();
    if (key.kind == ProxyKind.SIDECAR) {
      listeners.put(SidecarOutboundBuilder.LISTENER_NAME, SidecarOutboundBuilder.virtualOutbound());
      clusterMap.put(SidecarOutboundBuilder.PASSTHROUGH_CLUSTER, SidecarOutboundBuilder.passthroughCluster());
      Cluster blackHole = SidecarOutboundBuilder.blackHoleCluster();
      clusterMap.put(blackHole.getName(), blackHole);
    }
    for (ServiceOut part : key.parts) {
      part.listeners.forEach(e -> listeners.put(e.getKey(), e.getValue()));
      part.routes.forEach(e -> routes.put(e.getKey(), e.getValue()));
      part.clusters.forEach(e -> clusterMap.put(e.getKey(), e.getValue()));
      part.endpoints.forEach(e -> cla.put(e.getKey(), e.getValue()));
      part.hosts.forEach(h -> hosts.computeIfAbsent(h.port(), p -> new ArrayList<>())
          .add(new HostRef(part.service.namespace(), h)));
      errs.addAll(part.errors);
    }
    for (Map.Entry<Integer, List<HostRef>> e : hosts.entrySet()) {
      Listener l = SidecarOutboundBuilder.httpListener(e.getKey());
      listeners.put(l.getName(), l);
      // Sorted once here; both variants of a virtual host have the same name.
      e.getValue().sort(java.util.Comparator.comparing(r -> r.host().otherNamespace().getName()));
      e.setValue(List.copyOf(e.getValue()));
    }
    return new SharedOutbound(
        key,
        Collections.unmodifiableNavigableMap(listeners),
        Collections.unmodifiableNavigableMap(routes),
        Collections.unmodifiableNavigableMap(clusterMap),
        Collections.unmodifiableNavigableMap(cla),
        dedupe(errs),
        Collections.unmodifiableMap(hosts));
  }

  private static java.util.NavigableMap<String, Message> sidecarRoutes(SharedOutbound shared, String clientNamespace) {
    TreeMap<String, Message> routes = new TreeMap<>();
    shared.sortedHosts().forEach((port, refs) -> {
      List<VirtualHost> vhosts = new ArrayList<>(refs.size());
      for (HostRef r : refs) {
        vhosts.add(r.namespace().equals(clientNamespace) ? r.host().ownNamespace() : r.host().otherNamespace());
      }
      RouteConfiguration rc = SidecarOutboundBuilder.sortedRouteConfiguration(port, vhosts);
      routes.put(rc.getName(), rc);
    });
    return Collections.unmodifiableNavigableMap(routes);
  }

  private void addCluster(
      ProxyKind kind, ServiceInfo s, ServicePort sp, String subset, Map<String, String> subsetLabels,
      Optional<Policy<DestinationRule>> dr, ServiceOut out) {
    String name = OutboundClusterBuilder.clusterName(sp.port(), subset, s.fqdn());
    List<TranslationError> e = new ArrayList<>();
    Optional<Cluster> c = kind == ProxyKind.SIDECAR
        ? Optional.of(clusterBuilder.sidecarCluster(s, sp, subset, dr, e))
        : clusterBuilder.grpcCluster(s, sp, dr, e);
    out.errors.addAll(e);
    if (c.isPresent()) {
      out.clusters.add(Map.entry(name, c.get()));
      EndpointKey key = new EndpointKey(name, Map.copyOf(subsetLabels));
      out.endpoints.add(Map.entry(name, memo(s.namespace()).endpoints().computeIfAbsent(key,
          k -> loadAssignments.build(name, s, sp, subsetLabels))));
      out.endpointInputs.add(new EndpointInput(key, sp));
    }
  }

  /**
   * Services with an EndpointSlice added, removed or changed between the two snapshots: from the keys {@code b}
   * records as touched when derived from {@code a}, else by comparing all slices.
   */
  private static Set<ObjectKey> changedEndpointServices(MeshSnapshot a, MeshSnapshot b) {
    Set<ObjectKey> changed = new HashSet<>();
    java.util.function.BiConsumer<dev.gatehouse.model.EndpointSliceInfo, dev.gatehouse.model.EndpointSliceInfo> add =
        (older, newer) -> {
          if (older != null) {
            changed.add(older.serviceKey());
          }
          if (newer != null) {
            changed.add(newer.serviceKey());
          }
        };
    Optional<Set<ObjectKey>> touched = b.endpointSlicesChangedSince(a);
    if (touched.isPresent()) {
      for (ObjectKey k : touched.get()) {
        var older = a.endpointSlices().get(k);
        var newer = b.endpointSlices().get(k);
        if (!java.util.Objects.equals(older, newer)) {
          add.accept(older, newer);
        }
      }
    } else {
      SnapshotMaps.forEachChange(a.endpointSlices(), b.endpointSlices(), add);
    }
    return changed;
  }

  /**
   * Patches {@link #memos} (a copy of {@code from}'s) for an endpoint change of {@code services}: their
   * ClusterLoadAssignments are rebuilt from this snapshot and nothing else. Every other message, map and
   * {@link ProxyResources} keeps its instance (so its serialized form and version), and an assignment that comes out
   * equal keeps its old instance too. Only the endpoint maps that hold a changed assignment, and the proxies that
   * hold such a map, get new instances; their namespaces are added to {@code scope}. Visits the memos of the changed
   * services' namespaces and of the client namespaces that can see them, nothing else.
   *
   * @return the shared-outbound memo for this translation
   */
  private Map<PartsKey, SharedOutbound> patchEndpoints(MeshTranslation from, Set<ObjectKey> services, Set<String> scope) {
    // 1. The changed services' parts, in their own namespaces' memos (always copied: a stale translation filling
    // the old memo late must not write old endpoints into this one's).
    Map<ServiceOut, ServiceOut> parts = new java.util.IdentityHashMap<>();
    Set<String> serviceNamespaces = new HashSet<>();
    services.forEach(k -> serviceNamespaces.add(k.namespace()));
    for (String ns : serviceNamespaces) {
      NamespaceMemo old = memos.get(ns);
      if (old != null) {
        memos.put(ns, patchedServices(old, services, parts));
      }
    }
    // 2. The client namespaces that can see a changed service: their views and proxies.
    List<ServiceInfo> changed = new ArrayList<>();
    services.forEach(k -> {
      ServiceInfo s = snapshot.services().get(k);
      if (s != null) {
        changed.add(s);
      }
    });
    Map<SharedOutbound, SharedOutbound> patchedShared = new java.util.IdentityHashMap<>();
    Map<Map<String, Message>, java.util.NavigableMap<String, Message>> endpointMaps = new java.util.IdentityHashMap<>();
    for (Map.Entry<String, NamespaceMemo> e : memos.entrySet()) {
      String client = e.getKey();
      if (!visibility.everythingVisible() && changed.stream().noneMatch(s -> visibility.visible(s, client))) {
        continue;
      }
      NamespaceMemo m = e.getValue();
      Map<ProxyKind, Outbound> outbound = new ConcurrentHashMap<>();
      m.outbound().forEach((kind, o) -> {
        SharedOutbound s = patchedShared.computeIfAbsent(o.shared(), so -> patchShared(so, parts, endpointMaps));
        outbound.put(kind, s == o.shared()
            ? o
            : new Outbound(o.listeners(), o.routes(), o.clusters(), s.endpoints(), o.errors(), s));
      });
      // Label sets that shared one ProxyResources share its patched one too.
      Map<ProxyResources, ProxyResources> patched = new java.util.IdentityHashMap<>();
      Map<ProxyKey, ProxyResources> proxies = new ConcurrentHashMap<>();
      m.proxies().forEach((k, v) ->
          proxies.put(k, patched.computeIfAbsent(v, r -> patchedProxy(r, endpointMaps, client, scope))));
      Map<IpKey, ProxyResources> perIp = new ConcurrentHashMap<>();
      // keeps its pod-IP listeners' instances
      m.perIp().forEach((k, v) -> perIp.put(k, patchedProxy(v, endpointMaps, client, scope)));
      // The old ResourcesKeys name the old outbound view: proxies built from now on get new ones.
      memos.put(client, new NamespaceMemo(proxies, perIp, new ConcurrentHashMap<>(), outbound, m.serviceOuts(),
          m.endpoints()));
    }
    if (patchedShared.entrySet().stream().allMatch(x -> x.getKey() == x.getValue())) {
      return from.sharedOutbound;
    }
    Map<PartsKey, SharedOutbound> shared = new ConcurrentHashMap<>(from.sharedOutbound);
    patchedShared.forEach((old, n) -> {
      if (old != n) {
        shared.remove(old.key(), old);
        shared.put(n.key(), n);
      }
    });
    return shared;
  }

  /**
   * {@code m} with the parts of {@code services} rebuilt with this snapshot's endpoints (a new endpoint memo without
   * their old assignments, a new service-part memo); replaced parts are recorded in {@code parts}. Its proxies and
   * views are left to the caller.
   */
  private NamespaceMemo patchedServices(NamespaceMemo m, Set<ObjectKey> services, Map<ServiceOut, ServiceOut> parts) {
    Map<EndpointKey, ClusterLoadAssignment> eps = new ConcurrentHashMap<>(m.endpoints());
    m.serviceOuts().forEach((k, so) -> {
      if (services.contains(k.service())) {
        so.endpointInputs.forEach(in -> eps.remove(in.key()));
      }
    });
    Map<ServiceOutKey, ServiceOut> serviceOuts = new ConcurrentHashMap<>(m.serviceOuts());
    serviceOuts.replaceAll((k, so) -> {
      if (!services.contains(k.service())) {
        return so;
      }
      ServiceOut n = new ServiceOut(so.service);
      n.listeners.addAll(so.listeners);
      n.routes.addAll(so.routes);
      n.clusters.addAll(so.clusters);
      n.hosts.addAll(so.hosts);
      n.errors.addAll(so.errors);
      n.endpointInputs.addAll(so.endpointInputs);
      boolean same = true;
      for (int i = 0; i < so.endpointInputs.size(); i++) {
        EndpointInput in = so.endpointInputs.get(i);
        ClusterLoadAssignment cla = eps.computeIfAbsent(in.key(), key -> {
          ClusterLoadAssignment built = loadAssignments.build(key.name(), so.service, in.port(), key.subsetLabels());
          ClusterLoadAssignment old = m.endpoints().get(key);
          return built.equals(old) ? old : built;
        });
        same &= cla == so.endpoints.get(i).getValue();
        n.endpoints.add(Map.entry(in.key().name(), cla));
      }
      if (same) {
        return so;
      }
      parts.put(so, n);
      return n;
    });
    return new NamespaceMemo(m.proxies(), m.perIp(), m.resources(), m.outbound(), serviceOuts, eps);
  }

  /**
   * {@code s} itself unless it holds a replaced part; then one with the new parts and its endpoint map patched (the
   * old map's replacement recorded in {@code endpointMaps}); its other maps keep their instances.
   */
  private static SharedOutbound patchShared(
      SharedOutbound s,
      Map<ServiceOut, ServiceOut> parts,
      Map<Map<String, Message>, java.util.NavigableMap<String, Message>> endpointMaps) {
    if (s.key().parts.stream().noneMatch(parts::containsKey)) {
      return s;
    }
    TreeMap<String, Message> cla = new TreeMap<>(s.endpoints());
    List<ServiceOut> newParts = new ArrayList<>(s.key().parts.size());
    for (ServiceOut p : s.key().parts) {
      ServiceOut n = parts.getOrDefault(p, p);
      if (n != p) {
        n.endpoints.forEach(e -> cla.put(e.getKey(), e.getValue()));
      }
      newParts.add(n);
    }
    java.util.NavigableMap<String, Message> m = Collections.unmodifiableNavigableMap(cla);
    endpointMaps.put(s.endpoints(), m);
    return new SharedOutbound(new PartsKey(s.key().kind, newParts), s.listeners(), s.routes(), s.clusters(), m,
        s.errors(), s.sortedHosts());
  }

  /**
   * {@code r} itself unless it holds a replaced endpoint map; then a copy with only that map replaced, and its
   * namespace in {@code scope}.
   */
  private static ProxyResources patchedProxy(
      ProxyResources r,
      Map<Map<String, Message>, java.util.NavigableMap<String, Message>> endpointMaps,
      String namespace,
      Set<String> scope) {
    java.util.NavigableMap<String, Message> m = endpointMaps.get(r.of(ProxyResources.ENDPOINT));
    if (m == null) {
      return r;
    }
    scope.add(namespace);
    Map<String, Map<String, Message>> byType = new TreeMap<>(r.resourcesByType());
    byType.put(ProxyResources.ENDPOINT, m);
    return new ProxyResources(byType, r.errors(), r.notices());
  }

  @Override
  public String toString() {
    return "MeshTranslation{snapshot=" + snapshot.version() + ", namespaces=" + memos.size() + "}";
  }
}
