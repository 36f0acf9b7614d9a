package dev.gatehouse.xds.server;

import dev.gatehouse.model.MeshConfig;
import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.model.ObjectKey;
import dev.gatehouse.model.Workload;
import dev.gatehouse.xds.ProxyConfigGenerator;
import dev.gatehouse.xds.ProxyIdentity;
import dev.gatehouse.xds.ProxyKind;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Gatehouse's ADS server: java-control-plane's {@link V3DiscoveryServer} (ADS state-of-the-world and delta, plus the
 * per-type CDS/EDS/LDS/RDS services) on Gatehouse's own {@link ProxyConfigCache}, fed by {@link #onSnapshot}.
 * Serve {@link #services()} on a gRPC server; on a TLS server, callers must present a SPIFFE client certificate or a
 * service-account token. Thread-safe.
 */
public final class XdsServer implements AutoCloseable {
  private final ProxyConfigCache cache;
  private final XdsPushCoordinator coordinator;
  private final ScheduledExecutorService scheduler;
  private final ExecutorService initialConfigs;
  private final ExecutorService budgetWakeups;
  private final List<ServerServiceDefinition> services;
  private final DrainableStreams drainable;

  private XdsServer(Builder b) {
    this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "xds-nack-backoff");
      t.setDaemon(true);
      return t;
    });
    Executor wakeups = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "xds-response-budget");
      t.setDaemon(true);
      return t;
    });
    this.budgetWakeups = (ExecutorService) wakeups;
    this.drainable = new DrainableStreams(new ResponseBudget(b.responseBudgetBytes, wakeups));
    long stallNanos = b.stallAfter.toNanos();
    scheduler.scheduleWithFixedDelay(() -> drainable.sweep(stallNanos), 1, 1, TimeUnit.SECONDS);
    AtomicInteger n = new AtomicInteger();
    this.initialConfigs = Executors.newFixedThreadPool(b.initialConfigThreads, r -> {
      Thread t = new Thread(r, "xds-initial-config-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    this.cache = new ProxyConfigCache(
        b.generator, b.initial, b.nackBackoff, scheduler, b.events, b.clock, initialConfigs);
    this.coordinator = new XdsPushCoordinator(cache, b.pushThrottle);
    V3DiscoveryServer server = new PreSerializedResources.Server(List.of(new XdsStreamCallbacks(cache)), cache);
    XdsCallerInterceptor callers = new XdsCallerInterceptor(b.callers);
    this.services = List.of(
        served(drainable.ads(server.getAggregatedDiscoveryServiceImpl()), callers),
        served(drainable.cds(server.getClusterDiscoveryServiceImpl()), callers),
        served(drainable.eds(server.getEndpointDiscoveryServiceImpl()), callers),
        served(drainable.lds(server.getListenerDiscoveryServiceImpl()), callers),
        served(drainable.rds(server.getRouteDiscoveryServiceImpl()), callers));
  }

  /** A service as served: caller identity from the transport, responses written through a small buffer. */
  private static ServerServiceDefinition served(ServerServiceDefinition service, XdsCallerInterceptor callers) {
    return DirectResponses.of(ServerInterceptors.intercept(service, callers));
  }

  public static Builder builder(ProxyConfigGenerator generator) {
    return new Builder(generator);
  }

  /** ADS first, then CDS, EDS, LDS, RDS; each reads the caller identity from the transport. */
  public List<ServerServiceDefinition> services() {
    return services;
  }

  /** A new (debounced) mesh snapshot; returns at once, the push runs on the push thread. */
  public void onSnapshot(MeshSnapshot snapshot) {
    coordinator.onSnapshot(snapshot);
  }

  /** The version of the last snapshot pushed to every stream (-1 before the first push). */
  public long pushedVersion() {
    return coordinator.pushedVersion();
  }

  public MeshSnapshot snapshot() {
    return cache.snapshot();
  }

  public int connectedStreams() {
    return cache.connectedStreams();
  }

  /**
   * Every discovery stream open right now, for a graceful drain: {@link OpenStream#end()} closes one the way a
   * proxy hanging up would, and the proxy reconnects (to another replica, once this one stopped accepting).
   */
  public List<OpenStream> openStreams() {
    return drainable.open();
  }

  /** An open discovery stream (see {@link #openStreams()}). Thread-safe. */
  public interface OpenStream {
    /** Ends the stream (the proxy sees it closed with status OK); false when it had ended already. */
    boolean end();
  }

  /**
   * Bytes of responses handed to gRPC and not yet drained by the transport, over all streams (at most about
   * {@link Builder#responseBudget(long)}, plus one response when a single one is larger than the budget).
   */
  public long responseBytesInFlight() {
    return drainable.budget().used();
  }

  /** The highest {@link #responseBytesInFlight()} seen since start. */
  public long responseBytesInFlightPeak() {
    return drainable.budget().peak();
  }

  /** Streams waiting for the response budget right now. */
  public int streamsWaitingForBudget() {
    return drainable.budget().waiting();
  }

  /**
   * Bytes held by streams whose peer stopped reading (unready for longer than {@link Builder#stallAfter}), written off
   * the budget so that they do not hold the others back; each such stream pins at most the response it was last sent.
   */
  public long stalledResponseBytes() {
    return drainable.stalledBytes();
  }

  public List<ProxySyncStatus> syncStatus() {
    return cache.status();
  }

  /** How many connected streams' last answer for {@code typeUrl} (any type when null) is a NACK. */
  public int rejectingStreams(String typeUrl) {
    int n = 0;
    for (ProxyStream s : cache.streams()) {
      if (s.rejecting(typeUrl)) {
        n++;
      }
    }
    return n;
  }

  /**
   * The streams stuck on a NACK (their last answer for some type is a NACK), at most {@code limit} of them, oldest
   * stream first, and how many there are in all. Only those streams' status is built, so a readiness probe stays cheap
   * on a large mesh.
   */
  public StuckOnNack stuckOnNack(int limit) {
    List<ProxySyncStatus> shown = new java.util.ArrayList<>();
    int count = 0;
    for (ProxyStream s : cache.streams()) {
      if (s.rejecting(null)) {
        count++;
        shown.add(s.status());
      }
    }
    shown.sort(java.util.Comparator.comparingLong(ProxySyncStatus::streamId));
    return new StuckOnNack(count, shown.size() > limit ? List.copyOf(shown.subList(0, limit)) : List.copyOf(shown));
  }

  /** See {@link #stuckOnNack(int)}. */
  public record StuckOnNack(int count, List<ProxySyncStatus> shown) {}

  /**
   * The identity for a proxy id as istioctl spells it ({@code <pod>.<namespace>}), or a full node id: a connected
   * stream's identity when there is one, else one derived from the pod in the snapshot.
   */
  public Optional<ProxyIdentity> findProxy(String proxyId) {
    for (ProxyStream s : cache.streams()) {
      ProxyIdentity id = s.identity();
      if (id != null && (proxyId.equals(s.node().getId())
          || proxyId.equals(id.workload().name() + "." + id.workload().namespace()))) {
        return Optional.of(id);
      }
    }
    int dot = proxyId.lastIndexOf('.');
    if (dot <= 0) {
      return Optional.empty();
    }
    MeshSnapshot snapshot = cache.snapshot();
    Optional<Workload> pod = snapshot.workload(ObjectKey.of(proxyId.substring(dot + 1), proxyId.substring(0, dot)));
    return pod.map(w -> new ProxyIdentity(
        w.proxylessGrpc() ? ProxyKind.PROXYLESS_GRPC : ProxyKind.SIDECAR, w.key(), w.ip(), w.namespace(),
        w.serviceAccount(), w.labels()));
  }

  /** The config {@code proxy} would get from the current snapshot. */
  public Optional<ProxyConfig> configFor(ProxyIdentity proxy) {
    return cache.configNow(proxy);
  }

  @Override
  public void close() {
    coordinator.close();
    initialConfigs.shutdownNow();
    budgetWakeups.shutdownNow();
    scheduler.shutdownNow();
  }

  /** Settings; defaults follow istiod where it has one. Not thread-safe. */
  public static final class Builder {
    /** 64 MiB. */
    public static final long DEFAULT_RESPONSE_BUDGET = 64L << 20;

    private final ProxyConfigGenerator generator;
    private MeshSnapshot initial = MeshSnapshot.empty(MeshConfig.defaults());
    private Duration nackBackoff = Duration.ofSeconds(30);
    private int pushThrottle = XdsPushCoordinator.defaultPushThrottle();
    private int initialConfigThreads = Math.max(2, Runtime.getRuntime().availableProcessors());
    private XdsServerEvents events = XdsServerEvents.NONE;
    private XdsCallerAuthenticator callers = XdsCallerAuthenticator.spiffeCertificates();
    private Clock clock = Clock.systemUTC();
    private long responseBudgetBytes = DEFAULT_RESPONSE_BUDGET;
    private Duration stallAfter = Duration.ofSeconds(10);

    private Builder(ProxyConfigGenerator generator) {
      this.generator = Objects.requireNonNull(generator, "generator");
    }

    /** The snapshot served until the first {@link #onSnapshot}; by default an empty mesh (every pod unknown). */
    public Builder initialSnapshot(MeshSnapshot s) {
      this.initial = Objects.requireNonNull(s);
      return this;
    }

    /** How long a NACKed version is held back before it is sent once more (unless the config changes first). */
    public Builder nackBackoff(Duration d) {
      this.nackBackoff = Objects.requireNonNull(d);
      return this;
    }

    public Builder pushThrottle(int threads) {
      if (threads < 1) {
        throw new IllegalArgumentException("pushThrottle must be >= 1");
      }
      this.pushThrottle = threads;
      return this;
    }

    /**
     * How many threads compute the first config of newly connected proxies whose config is not computed yet (by
     * default the number of cores, at least 2). Bounds translation work and heap during a connect storm; proxies whose
     * config is already computed for the current snapshot are answered at once without waiting for a thread.
     */
    public Builder initialConfigThreads(int threads) {
      if (threads < 1) {
        throw new IllegalArgumentException("initialConfigThreads must be >= 1");
      }
      this.initialConfigThreads = threads;
      return this;
    }

    public Builder events(XdsServerEvents e) {
      this.events = Objects.requireNonNull(e);
      return this;
    }

    /** How callers on a TLS server are authenticated; by default the client certificate's SPIFFE ID. */
    public Builder callerAuthenticator(XdsCallerAuthenticator a) {
      this.callers = Objects.requireNonNull(a);
      return this;
    }

    /**
     * The bytes of responses all streams together may have handed to gRPC and not yet drained (serialized into direct
     * buffers); a stream finding it spent waits, first come first served. Default {@value #DEFAULT_RESPONSE_BUDGET}.
     */
    public Builder responseBudget(long bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("responseBudget must be >= 1 byte: " + bytes);
      }
      this.responseBudgetBytes = bytes;
      return this;
    }

    /**
     * After how long unready a stream's bytes are written off the budget (its peer does not read), so that stuck
     * proxies cannot starve the others. Default 10 s.
     */
    public Builder stallAfter(Duration d) {
      if (d.isNegative()) {
        throw new IllegalArgumentException("stallAfter must be >= 0: " + d);
      }
      this.stallAfter = d;
      return this;
    }

    public Builder clock(Clock c) {
      this.clock = Objects.requireNonNull(c);
      return this;
    }

    public XdsServer build() {
      return new XdsServer(this);
    }
  }
}
