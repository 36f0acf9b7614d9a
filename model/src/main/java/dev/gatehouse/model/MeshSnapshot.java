package dev.gatehouse.model;

import dev.gatehouse.api.istio.networking.v1alpha3.DestinationRule;
import dev.gatehouse.api.istio.security.v1beta1.AuthorizationPolicy;
import dev.gatehouse.api.istio.security.v1beta1.PeerAuthentication;
import dev.gatehouse.api.istio.security.v1beta1.RequestAuthentication;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * An immutable, versioned view of the whole mesh: mesh config, Kubernetes workloads and the Istio security
 * resources. A change never mutates a snapshot; it produces a new one with a higher version.
 *
 * <p>The indexes a translator needs (workloads by namespace, by selector, services by workload, policies by
 * namespace, endpoints by service) are computed once, when the snapshot is created. Selector lookups are memoized
 * per snapshot. Thread-safe: all state is immutable except the selector memo, which is a concurrent map.
 */
public final class MeshSnapshot {
  private static final Comparator<Policy<?>> POLICY_ORDER =
      Comparator.comparing((Policy<?> p) -> p.meta().creationTimestamp()).thenComparing(Policy::key);

  private final long version;
  private final MeshConfig mesh;
  private final Map<String, NamespaceInfo> namespaces;
  private final Map<ObjectKey, ServiceAccountInfo> serviceAccounts;
  private final Map<ObjectKey, Workload> workloads;
  /** {@link #workloads} by hash: {@link #workload} is asked once or twice per proxy on every push. */
  private final Map<ObjectKey, Workload> workloadIndex;
  private final Map<ObjectKey, ServiceInfo> services;
  private final Map<ObjectKey, EndpointSliceInfo> endpointSlices;
  private final List<Policy<PeerAuthentication>> peerAuthentications;
  private final List<Policy<AuthorizationPolicy>> authorizationPolicies;
  private final List<Policy<RequestAuthentication>> requestAuthentications;
  private final List<Policy<DestinationRule>> destinationRules;
  private final List<InvalidPolicy> invalidPolicies;

  // Indexes, computed once.
  private final Map<String, List<Workload>> workloadsByNamespace;
  private final Map<String, Workload> workloadsByIp;
  private final Map<ObjectKey, List<ServiceInfo>> servicesByWorkload;
  private final Map<String, List<ServiceInfo>> servicesByNamespace;
  private final Map<String, ServiceInfo> servicesByFqdn;
  private final Map<ObjectKey, List<EndpointSliceInfo>> endpointSlicesByService;
  private final Map<String, List<Policy<PeerAuthentication>>> peerAuthenticationsByNamespace;
  private final Map<String, List<Policy<AuthorizationPolicy>>> authorizationPoliciesByNamespace;
  private final Map<String, List<Policy<RequestAuthentication>>> requestAuthenticationsByNamespace;
  private final Map<String, List<Policy<DestinationRule>>> destinationRulesByNamespace;
  private final Map<String, List<InvalidPolicy>> invalidPoliciesByNamespace;
  private final Map<SelectorKey, List<Workload>> selectorMemo = new ConcurrentHashMap<>();

  private record SelectorKey(String namespace, Map<String, String> selector) {}

  private MeshSnapshot(Builder b) {
    this.version = b.version;
    this.mesh = Objects.requireNonNull(b.mesh, "mesh");
    this.namespaces = sortedCopy(b.namespaces, NamespaceInfo::name);
    this.serviceAccounts = sortedCopy(b.serviceAccounts, sa -> sa.meta().key());
    this.workloads = sortedCopy(b.workloads, Workload::key);
    this.workloadIndex = new java.util.HashMap<>(workloads);
    this.services = sortedCopy(b.services, ServiceInfo::key);
    this.endpointSlices = sortedCopy(b.endpointSlices, s -> s.meta().key());
    this.peerAuthentications = sortedPolicies(b.peerAuthentications);
    this.authorizationPolicies = sortedPolicies(b.authorizationPolicies);
    this.requestAuthentications = sortedPolicies(b.requestAuthentications);
    this.destinationRules = sortedPolicies(b.destinationRules);
    this.invalidPolicies =
        b.invalidPolicies.stream()
            .sorted(Comparator.comparing((InvalidPolicy p) -> p.kind()).thenComparing(InvalidPolicy::key))
            .toList();

    this.workloadsByNamespace = groupBy(workloads.values(), Workload::namespace);
    Map<String, Workload> byIp = new TreeMap<>();
    java.util.Set<String> shared = new java.util.HashSet<>();
    for (Workload w : workloads.values()) {
      if (!w.ip().isEmpty() && byIp.putIfAbsent(w.ip(), w) != null) {
        shared.add(w.ip());
      }
    }
    // An IP several pods report (hostNetwork pods share their node's) names no single workload: never guess.
    byIp.keySet().removeAll(shared);
    this.workloadsByIp = Map.copyOf(byIp);
    this.servicesByNamespace = groupBy(services.values(), ServiceInfo::namespace);
    this.servicesByFqdn =
        services.values().stream().collect(Collectors.toUnmodifiableMap(ServiceInfo::fqdn, s -> s, (a, c) -> a));
    Map<ObjectKey, List<ServiceInfo>> byWorkload = new TreeMap<>();
    for (Workload w : workloads.values()) {
      List<ServiceInfo> matched = new ArrayList<>();
      for (ServiceInfo s : servicesByNamespace.getOrDefault(w.namespace(), List.of())) {
        if (LabelSelector.serviceSelects(s.selector(), w.labels())) {
          matched.add(s);
        }
      }
      byWorkload.put(w.key(), List.copyOf(matched));
    }
    this.servicesByWorkload = Map.copyOf(byWorkload);
    this.endpointSlicesByService = groupBy(endpointSlices.values(), EndpointSliceInfo::serviceKey);
    this.peerAuthenticationsByNamespace = groupBy(peerAuthentications, Policy::namespace);
    this.authorizationPoliciesByNamespace = groupBy(authorizationPolicies, Policy::namespace);
    this.requestAuthenticationsByNamespace = groupBy(requestAuthentications, Policy::namespace);
    this.destinationRulesByNamespace = groupBy(destinationRules, Policy::namespace);
    this.invalidPoliciesByNamespace = groupBy(invalidPolicies, p -> p.meta().namespace());
  }

  public static Builder builder(long version, MeshConfig mesh) {
    return new Builder(version, mesh);
  }

  /** An empty mesh: the state before any source has synced. */
  public static MeshSnapshot empty(MeshConfig mesh) {
    return builder(0, mesh).build();
  }

  /** A builder seeded with this snapshot's objects, for a copy with changes and a new version. */
  public Builder toBuilder(long newVersion) {
    Builder b = new Builder(newVersion, mesh);
    b.namespaces.addAll(namespaces.values());
    b.serviceAccounts.addAll(serviceAccounts.values());
    b.workloads.addAll(workloads.values());
    b.services.addAll(services.values());
    b.endpointSlices.addAll(endpointSlices.values());
    b.peerAuthentications.addAll(peerAuthentications);
    b.authorizationPolicies.addAll(authorizationPolicies);
    b.requestAuthentications.addAll(requestAuthentications);
    b.destinationRules.addAll(destinationRules);
    b.invalidPolicies.addAll(invalidPolicies);
    return b;
  }

  public long version() {
    return version;
  }

  public MeshConfig mesh() {
    return mesh;
  }

  public Map<String, NamespaceInfo> namespaces() {
    return namespaces;
  }

  public Map<ObjectKey, ServiceAccountInfo> serviceAccounts() {
    return serviceAccounts;
  }

  public Map<ObjectKey, Workload> workloads() {
    return workloads;
  }

  public Map<ObjectKey, ServiceInfo> services() {
    return services;
  }

  public Map<ObjectKey, EndpointSliceInfo> endpointSlices() {
    return endpointSlices;
  }

  /** All PeerAuthentications, oldest first (creationTimestamp, then namespace/name). */
  public List<Policy<PeerAuthentication>> peerAuthentications() {
    return peerAuthentications;
  }

  public List<Policy<AuthorizationPolicy>> authorizationPolicies() {
    return authorizationPolicies;
  }

  public List<Policy<RequestAuthentication>> requestAuthentications() {
    return requestAuthentications;
  }

  public List<Policy<DestinationRule>> destinationRules() {
    return destinationRules;
  }

  /** Istio resources that did not parse; translation fails closed for the workloads they select. */
  public List<InvalidPolicy> invalidPolicies() {
    return invalidPolicies;
  }

  public Optional<Workload> workload(ObjectKey key) {
    return Optional.ofNullable(workloadIndex.get(key));
  }

  /** The workload with this pod IP; empty when none has it, or when several do (e.g. hostNetwork pods). */
  public Optional<Workload> workloadByIp(String ip) {
    return Optional.ofNullable(workloadsByIp.get(ip));
  }

  public List<Workload> workloadsInNamespace(String namespace) {
    return workloadsByNamespace.getOrDefault(namespace, List.of());
  }

  /** Workloads in {@code namespace} whose labels match {@code selector}; an empty selector matches all of them. */
  public List<Workload> workloadsMatching(String namespace, Map<String, String> selector) {
    return selectorMemo.computeIfAbsent(
        new SelectorKey(namespace, Map.copyOf(selector)),
        k -> workloadsInNamespace(k.namespace()).stream()
            .filter(w -> LabelSelector.matches(k.selector(), w.labels()))
            .toList());
  }

  /** Services in the workload's namespace whose (non-empty) selector matches its labels. */
  public List<ServiceInfo> servicesForWorkload(ObjectKey workload) {
    return servicesByWorkload.getOrDefault(workload, List.of());
  }

  public List<ServiceInfo> servicesInNamespace(String namespace) {
    return servicesByNamespace.getOrDefault(namespace, List.of());
  }

  public Optional<ServiceInfo> serviceByFqdn(String fqdn) {
    return Optional.ofNullable(servicesByFqdn.get(fqdn));
  }

  public List<EndpointSliceInfo> endpointSlicesForService(ObjectKey service) {
    return endpointSlicesByService.getOrDefault(service, List.of());
  }

  public List<Policy<PeerAuthentication>> peerAuthenticationsIn(String namespace) {
    return peerAuthenticationsByNamespace.getOrDefault(namespace, List.of());
  }

  public List<Policy<AuthorizationPolicy>> authorizationPoliciesIn(String namespace) {
    return authorizationPoliciesByNamespace.getOrDefault(namespace, List.of());
  }

  public List<Policy<RequestAuthentication>> requestAuthenticationsIn(String namespace) {
    return requestAuthenticationsByNamespace.getOrDefault(namespace, List.of());
  }

  public List<Policy<DestinationRule>> destinationRulesIn(String namespace) {
    return destinationRulesByNamespace.getOrDefault(namespace, List.of());
  }

  public List<InvalidPolicy> invalidPoliciesIn(String namespace) {
    return invalidPoliciesByNamespace.getOrDefault(namespace, List.of());
  }

  /** Object counts per kind, for the startup line and health details. */
  public Map<String, Integer> counts() {
    Map<String, Integer> c = new TreeMap<>();
    c.put("Namespace", namespaces.size());
    c.put("ServiceAccount", serviceAccounts.size());
    c.put("Pod", workloads.size());
    c.put("Service", services.size());
    c.put("EndpointSlice", endpointSlices.size());
    c.put("PeerAuthentication", peerAuthentications.size());
    c.put("AuthorizationPolicy", authorizationPolicies.size());
    c.put("RequestAuthentication", requestAuthentications.size());
    c.put("DestinationRule", destinationRules.size());
    c.put("invalid", invalidPolicies.size());
    return c;
  }

  @Override
  public String toString() {
    return "MeshSnapshot{version=" + version + ", " + counts() + "}";
  }

  /** Sorted by key (natural order), and a {@link java.util.SortedMap}, so that two snapshots compare in one walk. */
  private static <K extends Comparable<K>, V> Map<K, V> sortedCopy(Collection<V> values, Function<V, K> key) {
    TreeMap<K, V> m = new TreeMap<>();
    for (V v : values) {
      m.put(key.apply(v), v);
    }
    return java.util.Collections.unmodifiableSortedMap(m);
  }

  private static <T extends com.google.protobuf.Message> List<Policy<T>> sortedPolicies(List<Policy<T>> in) {
    Map<ObjectKey, Policy<T>> dedup = new TreeMap<>();
    for (Policy<T> p : in) {
      dedup.put(p.key(), p);
    }
    return dedup.values().stream().sorted(POLICY_ORDER).toList();
  }

  private static <K, V> Map<K, List<V>> groupBy(Collection<V> values, Function<V, K> key) {
    Map<K, List<V>> m = new java.util.HashMap<>();
    for (V v : values) {
      m.computeIfAbsent(key.apply(v), k -> new ArrayList<>()).add(v);
    }
    Map<K, List<V>> out = new java.util.HashMap<>();
    m.forEach((k, v) -> out.put(k, List.copyOf(v)));
    return Map.copyOf(out);
  }

  /** Collects objects for one snapshot. Not thread-safe; a snapshot is built by its source's single owner. */
  public static final class Builder {
    private final long version;
    private final MeshConfig mesh;
    private final List<NamespaceInfo> namespaces = new ArrayList<>();
    private final List<ServiceAccountInfo> serviceAccounts = new ArrayList<>();
    private final List<Workload> workloads = new ArrayList<>();
    private final List<ServiceInfo> services = new ArrayList<>();
    private final List<EndpointSliceInfo> endpointSlices = new ArrayList<>();
    private final List<Policy<PeerAuthentication>> peerAuthentications = new ArrayList<>();
    private final List<Policy<AuthorizationPolicy>> authorizationPolicies = new ArrayList<>();
    private final List<Policy<RequestAuthentication>> requestAuthentications = new ArrayList<>();
    private final List<Policy<DestinationRule>> destinationRules = new ArrayList<>();
    private final List<InvalidPolicy> invalidPolicies = new ArrayList<>();

    private Builder(long version, MeshConfig mesh) {
      this.version = version;
      this.mesh = mesh;
    }

    public Builder namespace(NamespaceInfo n) {
      namespaces.add(n);
      return this;
    }

    public Builder serviceAccount(ServiceAccountInfo sa) {
      serviceAccounts.add(sa);
      return this;
    }

    public Builder workload(Workload w) {
      workloads.add(w);
      return this;
    }

    public Builder service(ServiceInfo s) {
      services.add(s);
      return this;
    }

    public Builder endpointSlice(EndpointSliceInfo e) {
      endpointSlices.add(e);
      return this;
    }

    public Builder peerAuthentication(Policy<PeerAuthentication> p) {
      peerAuthentications.add(p);
      return this;
    }

    public Builder authorizationPolicy(Policy<AuthorizationPolicy> p) {
      authorizationPolicies.add(p);
      return this;
    }

    public Builder requestAuthentication(Policy<RequestAuthentication> p) {
      requestAuthentications.add(p);
      return this;
    }

    public Builder destinationRule(Policy<DestinationRule> p) {
      destinationRules.add(p);
      return this;
    }

    public Builder invalidPolicy(InvalidPolicy p) {
      invalidPolicies.add(p);
      return this;
    }

    /** Adds any parsed mesh object (one of the model records or a {@link Policy}). */
    @SuppressWarnings("unchecked")
    public Builder add(Object o) {
      if (o instanceof NamespaceInfo n) {
        namespace(n);
      } else if (o instanceof ServiceAccountInfo sa) {
        serviceAccount(sa);
      } else if (o instanceof Workload w) {
        workload(w);
      } else if (o instanceof ServiceInfo s) {
        service(s);
      } else if (o instanceof EndpointSliceInfo e) {
        endpointSlice(e);
      } else if (o instanceof InvalidPolicy ip) {
        invalidPolicy(ip);
      } else if (o instanceof Policy<?> p) {
        switch (p.kind()) {
          case PEER_AUTHENTICATION -> peerAuthentication((Policy<PeerAuthentication>) p);
          case AUTHORIZATION_POLICY -> authorizationPolicy((Policy<AuthorizationPolicy>) p);
          case REQUEST_AUTHENTICATION -> requestAuthentication((Policy<RequestAuthentication>) p);
          case DESTINATION_RULE -> destinationRule((Policy<DestinationRule>) p);
        }
      } else {
        throw new IllegalArgumentException("not a mesh object: " + o.getClass());
      }
      return this;
    }

    public MeshSnapshot build() {
      return new MeshSnapshot(this);
    }
  }
}
