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
import java.util.Set;
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
  private final Map<SelectorKey, List<Workload>> selectorMemo;
  private static final java.util.concurrent.atomic.AtomicLong UIDS = new java.util.concurrent.atomic.AtomicLong();
  /** Unique per snapshot instance (two snapshots may share a version number, e.g. in tests). */
  private final long uid = UIDS.incrementAndGet();
  /** The {@link #uid} of the snapshot this one was derived from ({@link #toBuilder}); -1 for one built afresh. */
  private final long baseUid;
  /** For a derived snapshot: the keys of each part put or removed since its base (a superset of what changed). */
  private final Map<Part, Set<Object>> changedFromBase;

  private record SelectorKey(String namespace, Map<String, String> selector) {}

  /** The kinds of objects a snapshot holds, each one sorted map in the builder. */
  private enum Part {
    NAMESPACES,
    SERVICE_ACCOUNTS,
    WORKLOADS,
    SERVICES,
    ENDPOINT_SLICES,
    PEER_AUTHENTICATIONS,
    AUTHORIZATION_POLICIES,
    REQUEST_AUTHENTICATIONS,
    DESTINATION_RULES,
    INVALID_POLICIES
  }

  /** Invalid policies sort by kind, then namespace/name; one per (kind, key). */
  private record InvalidKey(PolicyKind kind, ObjectKey key) implements Comparable<InvalidKey> {
    @Override
    public int compareTo(InvalidKey o) {
      int c = kind.compareTo(o.kind);
      return c != 0 ? c : key.compareTo(o.key);
    }
  }

  /**
   * Built from the builder's sorted maps. A part the builder did not touch since it was seeded from a base snapshot
   * ({@link #toBuilder}) shares the base's map and indexes (same instances), so deriving a snapshot costs in
   * proportion to the parts that changed, and comparing it with its base stops at identity for the others.
   */
  @SuppressWarnings("unchecked")
  private MeshSnapshot(Builder b) {
    this.version = b.version;
    this.mesh = Objects.requireNonNull(b.mesh, "mesh");
    MeshSnapshot base = b.base;
    this.baseUid = base == null ? -1 : base.uid;
    Map<Part, Set<Object>> changed = new java.util.EnumMap<>(Part.class);
    if (base != null) {
      b.changedKeys.forEach((part, keys) -> changed.put(part, Set.copyOf(keys)));
    }
    this.changedFromBase = java.util.Collections.unmodifiableMap(changed);
    this.namespaces = part(b, Part.NAMESPACES, x -> x.namespaces);
    this.serviceAccounts = part(b, Part.SERVICE_ACCOUNTS, x -> x.serviceAccounts);
    boolean sameWorkloads = b.keeps(Part.WORKLOADS);
    boolean sameServices = b.keeps(Part.SERVICES);
    boolean sameSlices = b.keeps(Part.ENDPOINT_SLICES);
    this.workloads = part(b, Part.WORKLOADS, x -> x.workloads);
    this.services = part(b, Part.SERVICES, x -> x.services);
    this.endpointSlices = part(b, Part.ENDPOINT_SLICES, x -> x.endpointSlices);
    this.peerAuthentications = policies(b, Part.PEER_AUTHENTICATIONS, x -> x.peerAuthentications);
    this.authorizationPolicies = policies(b, Part.AUTHORIZATION_POLICIES, x -> x.authorizationPolicies);
    this.requestAuthentications = policies(b, Part.REQUEST_AUTHENTICATIONS, x -> x.requestAuthentications);
    this.destinationRules = policies(b, Part.DESTINATION_RULES, x -> x.destinationRules);
    this.invalidPolicies = b.keeps(Part.INVALID_POLICIES) ? base.invalidPolicies
        : List.copyOf((java.util.Collection<InvalidPolicy>) (java.util.Collection<?>) b.sorted(Part.INVALID_POLICIES)
            .values());

    if (sameWorkloads) {
      this.workloadIndex = base.workloadIndex;
      this.workloadsByNamespace = base.workloadsByNamespace;
      this.workloadsByIp = base.workloadsByIp;
      this.selectorMemo = base.selectorMemo; // its values depend on the workloads only
    } else {
      this.workloadIndex = new java.util.HashMap<>(workloads);
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
      this.selectorMemo = new ConcurrentHashMap<>();
    }
    if (sameServices) {
      this.servicesByNamespace = base.servicesByNamespace;
      this.servicesByFqdn = base.servicesByFqdn;
    } else {
      this.servicesByNamespace = groupBy(services.values(), ServiceInfo::namespace);
      this.servicesByFqdn =
          services.values().stream().collect(Collectors.toUnmodifiableMap(ServiceInfo::fqdn, s -> s, (a, c) -> a));
    }
    if (sameWorkloads && sameServices) {
      this.servicesByWorkload = base.servicesByWorkload;
    } else {
      Map<ObjectKey, List<ServiceInfo>> byWorkload = new java.util.HashMap<>();
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
    }
    this.endpointSlicesByService = sameSlices ? base.endpointSlicesByService
        : base != null ? slicesByServicePatched(base, changed.getOrDefault(Part.ENDPOINT_SLICES, Set.of()))
        : groupBy(endpointSlices.values(), EndpointSliceInfo::serviceKey);
    this.peerAuthenticationsByNamespace = base != null && peerAuthentications == base.peerAuthentications
        ? base.peerAuthenticationsByNamespace : groupBy(peerAuthentications, Policy::namespace);
    this.authorizationPoliciesByNamespace = base != null && authorizationPolicies == base.authorizationPolicies
        ? base.authorizationPoliciesByNamespace : groupBy(authorizationPolicies, Policy::namespace);
    this.requestAuthenticationsByNamespace = base != null && requestAuthentications == base.requestAuthentications
        ? base.requestAuthenticationsByNamespace : groupBy(requestAuthentications, Policy::namespace);
    this.destinationRulesByNamespace = base != null && destinationRules == base.destinationRules
        ? base.destinationRulesByNamespace : groupBy(destinationRules, Policy::namespace);
    this.invalidPoliciesByNamespace = base != null && invalidPolicies == base.invalidPolicies
        ? base.invalidPoliciesByNamespace : groupBy(invalidPolicies, p -> p.meta().namespace());
  }

  /** The base's map of {@code part} when the builder kept it, else the builder's sorted map. */
  @SuppressWarnings("unchecked")
  private static <K, V> Map<K, V> part(Builder b, Part part, Function<MeshSnapshot, Map<K, V>> ofBase) {
    return b.keeps(part) ? ofBase.apply(b.base) : (Map<K, V>) (Map<?, ?>) b.sorted(part);
  }

  /** The base's policy list of {@code part} when the builder kept it, else the builder's, oldest first. */
  private static <T extends com.google.protobuf.Message> List<Policy<T>> policies(
      Builder b, Part part, Function<MeshSnapshot, List<Policy<T>>> ofBase) {
    return b.keeps(part) ? ofBase.apply(b.base) : sortedPolicies(b.sorted(part));
  }

  /**
   * {@code base}'s slices-by-service index with the lists of the services whose slices were touched rebuilt from
   * their namespace's slices (the others shared), as {@link #groupBy} would build them: in slice-key order.
   */
  private Map<ObjectKey, List<EndpointSliceInfo>> slicesByServicePatched(MeshSnapshot base, Set<Object> touched) {
    Set<ObjectKey> affected = new java.util.HashSet<>();
    for (Object k : touched) {
      EndpointSliceInfo before = base.endpointSlices.get(k);
      EndpointSliceInfo after = endpointSlices.get(k);
      if (before != null) {
        affected.add(before.serviceKey());
      }
      if (after != null) {
        affected.add(after.serviceKey());
      }
    }
    Map<ObjectKey, List<EndpointSliceInfo>> m = new java.util.HashMap<>(base.endpointSlicesByService);
    java.util.SortedMap<ObjectKey, EndpointSliceInfo> sorted = (java.util.SortedMap<ObjectKey, EndpointSliceInfo>) endpointSlices;
    for (ObjectKey service : affected) {
      List<EndpointSliceInfo> list = new ArrayList<>();
      String ns = service.namespace();
      for (EndpointSliceInfo e : sorted.subMap(new ObjectKey(ns, ""), new ObjectKey(ns + "\0", "")).values()) {
        if (e.serviceKey().equals(service)) {
          list.add(e);
        }
      }
      if (list.isEmpty()) {
        m.remove(service);
      } else {
        m.put(service, List.copyOf(list));
      }
    }
    return java.util.Collections.unmodifiableMap(m);
  }

  /**
   * The EndpointSlices (by key) that may differ between {@code older} and this snapshot, when this one was derived
   * from exactly that instance ({@code older.toBuilder(...)}): the keys put or removed since (a superset of those
   * that changed). Empty when not derived from it: compare the maps then.
   */
  public Optional<Set<ObjectKey>> endpointSlicesChangedSince(MeshSnapshot older) {
    if (older == null || baseUid != older.uid) {
      return Optional.empty();
    }
    Set<ObjectKey> keys = new java.util.HashSet<>();
    changedFromBase.getOrDefault(Part.ENDPOINT_SLICES, Set.of()).forEach(k -> keys.add((ObjectKey) k));
    return Optional.of(keys);
  }

  public static Builder builder(long version, MeshConfig mesh) {
    return new Builder(version, mesh);
  }

  /** An empty mesh: the state before any source has synced. */
  public static MeshSnapshot empty(MeshConfig mesh) {
    return builder(0, mesh).build();
  }

  /**
   * A builder seeded with this snapshot's objects, for a copy with changes and a new version. Adding an object
   * replaces the one with its key; {@link Builder#remove} takes one out. The parts (kinds) left untouched are
   * shared with this snapshot, not copied.
   */
  public Builder toBuilder(long newVersion) {
    return new Builder(newVersion, mesh, this);
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

  private static <T extends com.google.protobuf.Message> List<Policy<T>> sortedPolicies(Map<?, ?> byKey) {
    List<Policy<T>> out = new ArrayList<>(byKey.size());
    for (Object p : byKey.values()) {
      @SuppressWarnings("unchecked")
      Policy<T> policy = (Policy<T>) p;
      out.add(policy);
    }
    out.sort(POLICY_ORDER);
    return List.copyOf(out);
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

  /**
   * Collects objects for one snapshot, one sorted map per part (kind), so that the latest object with a key wins.
   * Seeded from a base snapshot ({@link MeshSnapshot#toBuilder}), a part is copied from the base only when first
   * touched. Not thread-safe; a snapshot is built by its source's single owner.
   */
  public static final class Builder {
    private final long version;
    private final MeshConfig mesh;
    private final MeshSnapshot base;
    private final Map<Part, TreeMap<Comparable<?>, Object>> parts = new java.util.EnumMap<>(Part.class);
    /** With a base: the keys put or removed per part since seeding. */
    private final Map<Part, Set<Object>> changedKeys = new java.util.EnumMap<>(Part.class);

    private Builder(long version, MeshConfig mesh) {
      this(version, mesh, null);
    }

    private Builder(long version, MeshConfig mesh, MeshSnapshot base) {
      this.version = version;
      this.mesh = mesh;
      this.base = base;
    }

    /** Whether the snapshot keeps the base's {@code part} as it is (seeded from a base and not touched since). */
    private boolean keeps(Part part) {
      return base != null && !parts.containsKey(part);
    }

    /** The part's map for writing: the base's objects copied in on first use (a sorted copy is linear). */
    private TreeMap<Comparable<?>, Object> part(Part part) {
      TreeMap<Comparable<?>, Object> m = parts.get(part);
      if (m == null) {
        m = new TreeMap<>();
        if (base != null) {
          seed(part, m);
        }
        parts.put(part, m);
      }
      return m;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private void seed(Part part, TreeMap<Comparable<?>, Object> m) {
      switch (part) {
        case NAMESPACES -> m.putAll((Map) base.namespaces);
        case SERVICE_ACCOUNTS -> m.putAll((Map) base.serviceAccounts);
        case WORKLOADS -> m.putAll((Map) base.workloads);
        case SERVICES -> m.putAll((Map) base.services);
        case ENDPOINT_SLICES -> m.putAll((Map) base.endpointSlices);
        case PEER_AUTHENTICATIONS -> base.peerAuthentications.forEach(p -> m.put(p.key(), p));
        case AUTHORIZATION_POLICIES -> base.authorizationPolicies.forEach(p -> m.put(p.key(), p));
        case REQUEST_AUTHENTICATIONS -> base.requestAuthentications.forEach(p -> m.put(p.key(), p));
        case DESTINATION_RULES -> base.destinationRules.forEach(p -> m.put(p.key(), p));
        case INVALID_POLICIES -> base.invalidPolicies.forEach(p -> m.put(new InvalidKey(p.kind(), p.key()), p));
      }
    }

    /** The part as the snapshot keeps it: sorted, unmodifiable (a {@link java.util.SortedMap}). */
    private Map<Comparable<?>, Object> sorted(Part part) {
      TreeMap<Comparable<?>, Object> m = parts.get(part);
      return java.util.Collections.unmodifiableSortedMap(m == null ? new TreeMap<>() : m);
    }

    private Builder put(Part part, Comparable<?> key, Object value) {
      part(part).put(key, value);
      if (base != null) {
        changedKeys.computeIfAbsent(part, p -> new java.util.HashSet<>()).add(key);
      }
      return this;
    }

    private static Part partOf(Policy<?> p) {
      return switch (p.kind()) {
        case PEER_AUTHENTICATION -> Part.PEER_AUTHENTICATIONS;
        case AUTHORIZATION_POLICY -> Part.AUTHORIZATION_POLICIES;
        case REQUEST_AUTHENTICATION -> Part.REQUEST_AUTHENTICATIONS;
        case DESTINATION_RULE -> Part.DESTINATION_RULES;
      };
    }

    public Builder namespace(NamespaceInfo n) {
      return add(n);
    }

    public Builder serviceAccount(ServiceAccountInfo sa) {
      return add(sa);
    }

    public Builder workload(Workload w) {
      return add(w);
    }

    public Builder service(ServiceInfo s) {
      return add(s);
    }

    public Builder endpointSlice(EndpointSliceInfo e) {
      return add(e);
    }

    public Builder peerAuthentication(Policy<PeerAuthentication> p) {
      return add(p);
    }

    public Builder authorizationPolicy(Policy<AuthorizationPolicy> p) {
      return add(p);
    }

    public Builder requestAuthentication(Policy<RequestAuthentication> p) {
      return add(p);
    }

    public Builder destinationRule(Policy<DestinationRule> p) {
      return add(p);
    }

    public Builder invalidPolicy(InvalidPolicy p) {
      return add(p);
    }

    /** Adds any parsed mesh object (one of the model records or a {@link Policy}); replaces the one with its key. */
    public Builder add(Object o) {
      Slot slot = slotOf(o);
      return put(slot.part(), slot.key(), o);
    }

    /** Removes the object with {@code o}'s kind and key (one of the model records or a {@link Policy}), if any. */
    public Builder remove(Object o) {
      Slot slot = slotOf(o);
      part(slot.part()).remove(slot.key());
      if (base != null) {
        changedKeys.computeIfAbsent(slot.part(), p -> new java.util.HashSet<>()).add(slot.key());
      }
      return this;
    }

    /** Where a mesh object is kept: its part and its key there. */
    private record Slot(Part part, Comparable<?> key) {}

    private static Slot slotOf(Object o) {
      if (o instanceof NamespaceInfo n) {
        return new Slot(Part.NAMESPACES, n.name());
      } else if (o instanceof ServiceAccountInfo sa) {
        return new Slot(Part.SERVICE_ACCOUNTS, sa.meta().key());
      } else if (o instanceof Workload w) {
        return new Slot(Part.WORKLOADS, w.key());
      } else if (o instanceof ServiceInfo s) {
        return new Slot(Part.SERVICES, s.key());
      } else if (o instanceof EndpointSliceInfo e) {
        return new Slot(Part.ENDPOINT_SLICES, e.meta().key());
      } else if (o instanceof InvalidPolicy ip) {
        return new Slot(Part.INVALID_POLICIES, new InvalidKey(ip.kind(), ip.key()));
      } else if (o instanceof Policy<?> p) {
        return new Slot(partOf(p), p.key());
      }
      throw new IllegalArgumentException("not a mesh object: " + o.getClass());
    }

    public MeshSnapshot build() {
      return new MeshSnapshot(this);
    }
  }
}
