package dev.gatehouse.xds.server;

import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.xds.ProxyConfigGenerator;
import dev.gatehouse.xds.ProxyIdentity;
import dev.gatehouse.xds.ProxyResources;
import dev.gatehouse.xds.ProxyScope;
import io.envoyproxy.controlplane.cache.ConfigWatcher;
import io.envoyproxy.controlplane.cache.DeltaResponse;
import io.envoyproxy.controlplane.cache.DeltaWatch;
import io.envoyproxy.controlplane.cache.DeltaXdsRequest;
import io.envoyproxy.controlplane.cache.Response;
import io.envoyproxy.controlplane.cache.Watch;
import io.envoyproxy.controlplane.cache.XdsRequest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gatehouse's {@link ConfigWatcher} for java-control-plane's {@code V3DiscoveryServer}, replacing {@code SimpleCache}:
 * per-stream state ({@link ProxyStream}), content-hash versions, NACK back-off, and configs computed once per distinct
 * {@link ProxyIdentity} per snapshot and shared (with their serialized form) by every stream of that identity.
 *
 * <p>The server calls {@link #createWatch} / {@link #createDeltaWatch} without saying which stream asks; the stream
 * callbacks bind the stream to the request on the gRPC thread right before ({@link #bind}), and the watch methods check
 * that binding by request identity. Thread-safe.
 */
public final class ProxyConfigCache implements ConfigWatcher {
  private static final Logger log = LoggerFactory.getLogger(ProxyConfigCache.class);
  private static final ThreadLocal<Binding> BOUND = new ThreadLocal<>();

  private record Binding(long streamId, Object request) {}

  /**
   * One snapshot and the configs computed from it, by identity (memoized for the snapshot's lifetime). Each entry is a
   * future: the first caller for an identity computes it, concurrent callers for the same identity wait for that one
   * computation (single flight) instead of translating again.
   */
  record SnapshotConfigs(
      MeshSnapshot snapshot, long receivedNanos, ConcurrentMap<ProxyIdentity, CompletableFuture<Optional<ProxyConfig>>> memo) {}

  private final ProxyConfigGenerator generator;
  private final ResourceSerializer serializer = new ResourceSerializer();
  private final ConcurrentMap<Long, ProxyStream> streams = new ConcurrentHashMap<>();
  /**
   * Identified streams by the namespace of their workload (and the one their node claims, when it differs), so that a
   * push scoped to a few namespaces finds their streams without walking all of them.
   */
  private final ConcurrentMap<String, Set<ProxyStream>> byNamespace = new ConcurrentHashMap<>();
  private final ScheduledExecutorService scheduler;
  private final Duration nackBackoff;
  private final XdsServerEvents events;
  private final Clock clock;
  private final Executor initialConfigs;
  private volatile SnapshotConfigs current;
  /** Identities whose last translation failed: every push retries them, whatever its scope. */
  private final Set<ProxyIdentity> failed = ConcurrentHashMap.newKeySet();

  ProxyConfigCache(
      ProxyConfigGenerator generator,
      MeshSnapshot initial,
      Duration nackBackoff,
      ScheduledExecutorService scheduler,
      XdsServerEvents events,
      Clock clock,
      Executor initialConfigs) {
    this.generator = generator;
    this.initialConfigs = initialConfigs;
    this.nackBackoff = nackBackoff;
    this.scheduler = scheduler;
    this.events = events;
    this.clock = clock;
    this.current = new SnapshotConfigs(initial, System.nanoTime(), new ConcurrentHashMap<>());
  }

  Duration nackBackoff() {
    return nackBackoff;
  }

  XdsServerEvents events() {
    return events;
  }

  Clock clock() {
    return clock;
  }

  MeshSnapshot snapshot() {
    return current.snapshot();
  }

  SnapshotConfigs current() {
    return current;
  }

  /** Makes {@code snapshot} current; configs for it are computed on demand and memoized. */
  SnapshotConfigs install(MeshSnapshot snapshot, long receivedNanos) {
    SnapshotConfigs next = new SnapshotConfigs(snapshot, receivedNanos, new ConcurrentHashMap<>());
    current = next;
    return next;
  }

  /**
   * The config for {@code proxy} under {@code sc}; empty when translation threw (the proxy then keeps what it has).
   * Generated at most once per identity per snapshot.
   */
  Optional<ProxyConfig> configFor(ProxyIdentity proxy, SnapshotConfigs sc) {
    return memoized(sc, proxy, Runnable::run).join();
  }

  /**
   * The memo entry for {@code proxy}: the existing one (computed or being computed), or a new one this caller claims
   * and computes on {@code executor}. A rejected execution leaves the memo as it was.
   */
  private CompletableFuture<Optional<ProxyConfig>> memoized(SnapshotConfigs sc, ProxyIdentity proxy, Executor executor) {
    CompletableFuture<Optional<ProxyConfig>> f = sc.memo().get(proxy);
    if (f != null) {
      return f;
    }
    CompletableFuture<Optional<ProxyConfig>> mine = new CompletableFuture<>();
    f = sc.memo().putIfAbsent(proxy, mine);
    if (f != null) {
      return f;
    }
    try {
      executor.execute(() -> computeInto(mine, sc, proxy));
    } catch (RejectedExecutionException e) {
      sc.memo().remove(proxy, mine);
      throw e;
    }
    return mine;
  }

  /** Computes the config into {@code f}, which this caller claimed in the memo; never leaves {@code f} pending. */
  private void computeInto(CompletableFuture<Optional<ProxyConfig>> f, SnapshotConfigs sc, ProxyIdentity proxy) {
    try {
      f.complete(compute(sc.snapshot(), proxy));
    } catch (Throwable t) { // an Error (e.g. OutOfMemoryError): waiters must not hang, the next caller retries
      failed.add(proxy);
      sc.memo().remove(proxy, f);
      f.completeExceptionally(t);
      throw t;
    }
  }

  private Optional<ProxyConfig> compute(MeshSnapshot snapshot, ProxyIdentity proxy) {
    if (!workloadKnown(snapshot, proxy)) {
      return Optional.of(ProxyConfig.unknownWorkload());
    }
    try {
      ProxyResources resources = generator.generate(snapshot, proxy);
      Optional<ProxyConfig> config = Optional.of(serializer.config(resources));
      if (!failed.isEmpty()) {
        failed.remove(proxy);
      }
      return config;
    } catch (RuntimeException e) {
      failed.add(proxy);
      log.error("translation failed for {} at snapshot {}; the proxy keeps its current config", proxy.workload(),
          snapshot.version(), e);
      return Optional.empty();
    }
  }

  static boolean workloadKnown(MeshSnapshot snapshot, ProxyIdentity proxy) {
    if (snapshot.workload(proxy.workload()).isPresent()) {
      return true;
    }
    return !proxy.ip().isEmpty()
        && snapshot.workloadByIp(proxy.ip()).filter(w -> w.namespace().equals(proxy.namespace())).isPresent();
  }

  /**
   * The proxies whose config may differ between {@code previous} and {@code next} (see
   * {@link ProxyConfigGenerator#changedSince}); all when the generator cannot tell or fails to, or {@code previous}
   * is null.
   */
  ProxyScope changedSince(MeshSnapshot previous, MeshSnapshot next) {
    try {
      return generator.changedSince(previous, next);
    } catch (RuntimeException e) {
      log.error("could not tell which proxies snapshot {} changes; pushing to all", next.version(), e);
      return ProxyScope.all();
    }
  }

  /** Whether the last translation for {@code proxy} failed (the push retries it whatever its scope). */
  boolean failedLastTime(ProxyIdentity proxy) {
    return !failed.isEmpty() && failed.contains(proxy);
  }

  /** The config a proxy would get now (for {@code /debug/config_dump}); computed if no stream holds it. */
  public Optional<ProxyConfig> configNow(ProxyIdentity proxy) {
    return configFor(proxy, current);
  }

  void open(long streamId, String typeUrl, StreamCaller caller) {
    streams.put(streamId, new ProxyStream(streamId, typeUrl, caller, this));
  }

  ProxyStream stream(long streamId) {
    return streams.get(streamId);
  }

  boolean close(long streamId) {
    ProxyStream s = streams.remove(streamId);
    if (s == null) {
      return false;
    }
    ProxyIdentity id = s.identity();
    if (id != null) {
      for (String ns : namespacesOf(id)) {
        byNamespace.computeIfPresent(ns, (k, set) -> {
          set.remove(s);
          return set.isEmpty() ? null : set;
        });
      }
    }
    return true;
  }

  /** Indexes a stream that was just identified (once per stream; its identity does not change after). */
  void indexByNamespace(ProxyStream stream) {
    ProxyIdentity id = stream.identity();
    for (String ns : namespacesOf(id)) {
      byNamespace.compute(ns, (k, set) -> {
        Set<ProxyStream> out = set == null ? ConcurrentHashMap.newKeySet() : set;
        out.add(stream);
        return out;
      });
    }
    if (streams.get(stream.id) != stream) { // closed meanwhile: undo
      for (String ns : namespacesOf(id)) {
        byNamespace.computeIfPresent(ns, (k, set) -> {
          set.remove(stream);
          return set.isEmpty() ? null : set;
        });
      }
    }
  }

  private static List<String> namespacesOf(ProxyIdentity id) {
    String pod = id.workload().namespace();
    return pod.equals(id.namespace()) ? List.of(pod) : List.of(pod, id.namespace());
  }

  /**
   * The identified streams a push with {@code scope} must visit: all of them, or those of the scope's namespaces,
   * plus in either case every stream whose identity's last translation failed.
   */
  Collection<ProxyStream> streamsIn(ProxyScope scope) {
    if (scope.isAll()) {
      return streams.values();
    }
    Set<ProxyStream> out = new java.util.HashSet<>();
    for (String ns : scope.namespaceSet()) {
      Set<ProxyStream> set = byNamespace.get(ns);
      if (set != null) {
        out.addAll(set);
      }
    }
    if (!failed.isEmpty()) {
      for (ProxyStream s : streams.values()) {
        ProxyIdentity id = s.identity();
        if (id != null && failed.contains(id)) {
          out.add(s);
        }
      }
    }
    return out;
  }

  Collection<ProxyStream> streams() {
    return streams.values();
  }

  public int connectedStreams() {
    return streams.size();
  }

  List<ProxySyncStatus> status() {
    List<ProxySyncStatus> out = new ArrayList<>();
    for (ProxyStream s : streams.values()) {
      out.add(s.status());
    }
    out.sort(java.util.Comparator.comparingLong(ProxySyncStatus::streamId));
    return out;
  }

  /**
   * Gives a newly identified stream its config from the current snapshot (a push may race; newest wins). A push of
   * the same snapshot with new translation options (fetched JWKS) installs a new {@link SnapshotConfigs} without a
   * newer version, so if one was installed meanwhile, the config is taken again from it: otherwise this stream could
   * keep the older config after the push had already updated it.
   *
   * <p>Admission control for connect storms: a config already computed for this snapshot (another replica with the
   * same identity, a reconnect) is handed over at once on the calling thread; a config being computed is awaited
   * without holding a thread; otherwise it is computed on the bounded initial-config pool, so thousands of proxies
   * connecting at once translate a few at a time instead of all in parallel (heap, and the gRPC threads stay free).
   * The stream's watches are answered as soon as its config is installed ({@link ProxyStream#update}).
   */
  void assignInitialConfig(ProxyStream stream) {
    SnapshotConfigs sc = current;
    ProxyIdentity id = stream.identity();
    CompletableFuture<Optional<ProxyConfig>> f;
    try {
      f = memoized(sc, id, initialConfigs);
    } catch (RejectedExecutionException e) { // server closing
      return;
    }
    f.whenComplete((c, error) -> {
      if (error != null) {
        log.error("initial config for {} failed; the stream waits for the next push", id.workload(), error);
        return;
      }
      stream.update(c.orElseGet(ProxyConfig::unknownWorkload), sc.snapshot().version(), sc.receivedNanos());
      if (sc != current && streams.get(stream.id) == stream) {
        assignInitialConfig(stream);
      }
    });
  }

  void bind(long streamId, Object request) {
    BOUND.set(new Binding(streamId, request));
  }

  private ProxyStream boundStream(Object request) {
    Binding b = BOUND.get();
    BOUND.remove();
    if (b == null || b.request() != request) {
      throw new IllegalStateException("xDS watch requested without a stream binding; callbacks not installed?");
    }
    return streams.get(b.streamId());
  }

  void scheduleRetry(ProxyStream stream, String type, Duration delay) {
    scheduler.schedule(() -> {
      if (streams.get(stream.id) == stream) {
        stream.retry(type);
      }
    }, delay.toNanos(), TimeUnit.NANOSECONDS);
  }

  @Override
  public Watch createWatch(
      boolean ads,
      XdsRequest request,
      Set<String> knownResourceNames,
      Consumer<Response> responseConsumer,
      boolean hasClusterChanged,
      boolean allowDefaultEmptyEdsUpdate) {
    Watch watch = new Watch(ads, allowDefaultEmptyEdsUpdate, request, responseConsumer);
    ProxyStream stream = boundStream(request.v3Request());
    if (stream != null) {
      stream.sotwWatch(stream.typeOf(request.getTypeUrl()), watch);
    }
    return watch;
  }

  @Override
  public DeltaWatch createDeltaWatch(
      DeltaXdsRequest request,
      String requesterVersion,
      Map<String, String> resourceVersions,
      Set<String> pendingResources,
      boolean isWildcard,
      Consumer<DeltaResponse> responseConsumer,
      boolean hasClusterChanged) {
    DeltaWatch watch = new DeltaWatch(
        request, Map.copyOf(resourceVersions), Set.copyOf(pendingResources), requesterVersion, isWildcard,
        responseConsumer);
    ProxyStream stream = boundStream(request.v3Request());
    if (stream != null) {
      stream.deltaWatch(stream.typeOf(request.getTypeUrl()), watch);
    }
    return watch;
  }
}
