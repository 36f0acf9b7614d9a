package dev.gatehouse.xds.server;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.gatehouse.api.istio.security.v1beta1.AuthorizationPolicy;
import dev.gatehouse.api.istio.security.v1beta1.Rule;
import dev.gatehouse.api.istio.security.v1beta1.Source;
import dev.gatehouse.model.ContainerPort;
import dev.gatehouse.model.EndpointSliceInfo;
import dev.gatehouse.model.MeshConfig;
import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.model.NamespaceInfo;
import dev.gatehouse.model.ObjectKey;
import dev.gatehouse.model.Policy;
import dev.gatehouse.model.PolicyKind;
import dev.gatehouse.model.ResourceMeta;
import dev.gatehouse.model.ServiceInfo;
import dev.gatehouse.model.ServicePort;
import dev.gatehouse.model.Workload;
import dev.gatehouse.xds.AuthorizationFilters;
import dev.gatehouse.xds.ProxyConfigGenerator;
import dev.gatehouse.xds.ProxyIdentity;
import dev.gatehouse.xds.ProxyKind;
import dev.gatehouse.xds.ProxyResources;
import dev.gatehouse.xds.SnapshotTranslator;
import dev.gatehouse.xds.TranslationOptions;
import io.envoyproxy.controlplane.cache.NodeGroup;
import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Load benchmark for the ADS server (not a test; prints numbers, never fails on timing). N simulated proxies - raw ADS
 * streams over loopback TCP that subscribe and ACK like Envoy (CDS and LDS wildcard, EDS for the clusters, RDS for
 * the listeners' route names) - against:
 * <ol>
 *   <li>Gatehouse's server with the real translator ({@link SnapshotTranslator}), SotW streams;
 *   <li>the same with delta streams;
 *   <li>the baseline a Java team would otherwise build: java-control-plane's {@code SimpleCache}, one snapshot per
 *       proxy, each translated separately (a fresh translator per proxy, nothing shared), SotW streams.
 * </ol>
 * Each run measures: time until every proxy has ACKed its first full config; convergence (change to the affected
 * proxies' receipt of the new LDS) after a namespace-scoped AuthorizationPolicy change, p50/p99/max; heap after GC
 * and process CPU; bytes sent for an endpoint-only change (one service gains an endpoint).
 *
 * <p>Run (see docs/performance.md): {@code -Dproxies=2000 -Dservices=1000 -Dscenarios=sotw,delta,baseline}. Heap and
 * CPU are of the whole JVM (server and simulated proxies together); clients keep only versions and names.
 * {@code -Dhistogram=true} prints the live-object histogram once connected ({@code jcmd GC.class_histogram}).
 */
public final class XdsServerBenchmark {
  /** Standard output as the JVM started; the warm-up swaps System.out for a null stream while it runs. */
  private static final java.io.PrintStream CONSOLE = System.out;
  private static final String CDS = ProxyResources.CLUSTER;
  private static final String EDS = ProxyResources.ENDPOINT;
  private static final String LDS = ProxyResources.LISTENER;
  private static final String RDS = ProxyResources.ROUTE;

  private static final int PROXIES = Integer.getInteger("proxies", 2000);
  private static final int SERVICES = Integer.getInteger("services", 1000);
  private static final int SERVICES_PER_NAMESPACE = Integer.getInteger("servicesPerNamespace", 20);
  private static final int REPLICAS = Integer.getInteger("replicas", 2);
  private static final int CHANNELS = Integer.getInteger("channels", 100);
  private static final int WARMUP_PROXIES = Integer.getInteger("warmupProxies", Math.max(1, PROXIES / 4));
  private static final int WARMUP_ROUNDS = Integer.getInteger("warmupRounds", 2);
  /** Pod churn mode: {@code -Dchurn=50} endpoint changes per second (open loop) for {@code -DchurnSeconds=60}. */
  private static final int CHURN_RATE = Integer.getInteger("churn", 0);
  private static final int CHURN_SECONDS = Integer.getInteger("churnSeconds", 60);
  /** Churn bookkeeping, filled by the simulated proxies while churn runs (null otherwise). */
  static volatile Churn churn;
  /** The same on the server's side (push passes), also when the proxies run in a second JVM. */
  static volatile Churn churnStats;

  /**
   * Change {@code c} gives service {@code svc-(c mod services)} one extra endpoint 127.12.x.y that encodes {@code c};
   * a proxy that receives a ClusterLoadAssignment with that address for the first time counts as one delivery. A
   * change is done when every proxy of its namespace has it (namespace-isolated mesh; with {@code -DexportTo=*}
   * every proxy). Latency is from the snapshot's hand-over to the server (open loop: changes are sent on schedule
   * whatever the backlog) to the last delivery.
   */
  static final class Churn {
    final long[] sentAt;
    final long[] doneAt;
    final int[] expected;
    final java.util.concurrent.atomic.AtomicIntegerArray delivered;
    final java.util.concurrent.atomic.AtomicInteger done = new java.util.concurrent.atomic.AtomicInteger();
    /** Server push passes in the current second and the longest one (reset every second). */
    final java.util.concurrent.atomic.AtomicInteger pushes = new java.util.concurrent.atomic.AtomicInteger();
    final AtomicLong pushMaxMs = new AtomicLong();

    Churn(int changes) {
      sentAt = new long[changes];
      doneAt = new long[changes];
      expected = new int[changes];
      delivered = new java.util.concurrent.atomic.AtomicIntegerArray(changes);
    }

    static String ip(int change) {
      return "127.12." + (change / 250) + "." + (change % 250 + 1);
    }

    static int change(String ip) {
      if (!ip.startsWith("127.12.")) {
        return -1;
      }
      String[] p = ip.split("\\.");
      return Integer.parseInt(p[2]) * 250 + Integer.parseInt(p[3]) - 1;
    }

    /** In the proxies' JVM ({@code -Drole=proxies}): tells the server's JVM (change, nanoTime) when one is done. */
    volatile java.util.function.ObjLongConsumer<Integer> onDone;

    void delivered(int c) {
      if (c >= 0 && c < sentAt.length && delivered.incrementAndGet(c) == expected[c]) {
        long at = System.nanoTime();
        doneAt[c] = at;
        done.incrementAndGet();
        var listener = onDone;
        if (listener != null) {
          listener.accept(c, at);
        }
      }
    }
  }

  private static void churn(Mesh mesh, MeshSnapshot start, Target target, Fleet proxies, int count)
      throws Exception {
    int changes = CHURN_RATE * CHURN_SECONDS;
    Churn ch = new Churn(changes);
    int[] expected = churnExpected(mesh, count, changes);
    Map<String, EndpointSliceInfo> slices = new java.util.HashMap<>();
    start.endpointSlices().values().forEach(e -> slices.put(e.serviceName(), e));
    churnStats = ch;
    proxies.churnStart(ch);
    System.out.printf("pod churn: %d endpoint changes/s for %d s (open loop), each to the next service in turn%n",
        CHURN_RATE, CHURN_SECONDS);
    MeshSnapshot current = start;
    long buildNanos = 0;
    long t0 = System.nanoTime();
    long period = 1_000_000_000L / CHURN_RATE;
    long cpuSecond = cpuNanos();
    long nextReport = t0 + 1_000_000_000L;
    int maxBacklog = 0;
    for (int c = 0; c < changes; c++) {
      long due = t0 + c * period;
      long wait = due - System.nanoTime();
      if (wait > 0) {
        TimeUnit.NANOSECONDS.sleep(wait);
      }
      String svc = "svc-" + (c % SERVICES);
      EndpointSliceInfo e = slices.get(svc);
      List<EndpointSliceInfo.Endpoint> eps = new ArrayList<>(e.endpoints());
      eps.add(new EndpointSliceInfo.Endpoint(List.of(Churn.ip(c)), true, "", "", "", 1));
      long b0 = System.nanoTime();
      current = current.toBuilder(current.version() + 1)
          .endpointSlice(new EndpointSliceInfo(e.meta(), e.serviceName(), e.ports(), eps)).build();
      buildNanos += System.nanoTime() - b0;
      ch.expected[c] = expected[c];
      ch.sentAt[c] = System.nanoTime();
      if (ch.expected[c] == 0) {
        ch.doneAt[c] = ch.sentAt[c];
        ch.done.incrementAndGet();
      }
      target.onSnapshot(current);
      long now = System.nanoTime();
      if (now >= nextReport) {
        maxBacklog = Math.max(maxBacklog, report(ch, c + 1, t0, nextReport, cpuSecond));
        cpuSecond = cpuNanos();
        nextReport += 1_000_000_000L;
      }
    }
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (ch.done.get() < changes && System.nanoTime() < end) {
      long now = System.nanoTime();
      if (now >= nextReport) {
        maxBacklog = Math.max(maxBacklog, report(ch, changes, t0, nextReport, cpuSecond));
        cpuSecond = cpuNanos();
        nextReport += 1_000_000_000L;
      }
      Thread.sleep(20);
    }
    proxies.churnStop();
    churnStats = null;
    long[] lat = new long[ch.done.get()];
    int n = 0;
    for (int c = 0; c < changes; c++) {
      if (ch.doneAt[c] != 0 && n < lat.length) {
        lat[n++] = ch.doneAt[c] - ch.sentAt[c];
      }
    }
    java.util.Arrays.sort(lat, 0, n);
    long[] done = java.util.Arrays.copyOf(lat, n);
    System.out.printf("CHURN changes=%d done=%d p50_ms=%d p99_ms=%d max_ms=%d max_backlog=%d final_backlog=%d "
            + "snapshot_build_ms_mean=%.1f%n", changes, n, pct(done, 50), pct(done, 99), pct(done, 100), maxBacklog,
        changes - ch.done.get(), buildNanos / 1e6 / changes);
  }

  /** One line of the churn series: the second just ended; latency of the changes sent in it that are done. */
  private static int report(Churn ch, int sent, long t0, long secondEnd, long cpuAtStart) {
    long from = secondEnd - 1_000_000_000L;
    List<Long> lat = new ArrayList<>();
    for (int c = 0; c < sent; c++) {
      if (ch.sentAt[c] >= from && ch.sentAt[c] < secondEnd && ch.doneAt[c] != 0) {
        lat.add(ch.doneAt[c] - ch.sentAt[c]);
      }
    }
    long[] l = lat.stream().mapToLong(Long::longValue).sorted().toArray();
    int backlog = sent - ch.done.get();
    double cpu = (cpuNanos() - cpuAtStart) / 1e9;
    System.out.printf("  churn t=%3d s: sent %d, backlog %d, p99 %d ms (of %d done from this second), CPU %.2f s/s, "
            + "%d server push passes (longest %d ms)%n", TimeUnit.NANOSECONDS.toSeconds(secondEnd - t0), sent, backlog,
        pct(l, 99), l.length, cpu, ch.pushes.getAndSet(0), ch.pushMaxMs.getAndSet(0));
    return backlog;
  }
  /**
   * MeshConfig {@code defaultServiceExportTo} ({@code -DexportTo=.} by default: Istio's namespace-isolation setup,
   * each sidecar sees its own namespace's services; {@code -DexportTo=*} for Istio's default, every service everywhere).
   */
  private static final MeshConfig MESH_CONFIG = MeshConfig.defaults().withDefaultServiceExportTo(
      List.of(System.getProperty("exportTo", MeshConfig.EXPORT_OWN_NAMESPACE).split(",")));

  /** Streams cut at the end of a run (e.g. the baseline's, still queued) make grpc-netty log a stack trace each. */
  private static final java.util.logging.Logger GRPC_LOG = java.util.logging.Logger.getLogger("io.grpc");

  public static void main(String[] args) throws Exception {
    GRPC_LOG.setLevel(java.util.logging.Level.SEVERE);
    if (ROLE.equals("proxies")) {
      proxiesMain();
      return;
    }
    List<String> scenarios = Arrays.asList(System.getProperty("scenarios", "sotw,delta,baseline").split(","));
    System.out.printf("xDS server benchmark: generator %s, defaultServiceExportTo %s, %d proxies, %d services (%d per "
            + "namespace, %d pods each), %d cores, max heap %d MiB, java %s%n", System.getProperty("generator", "real"),
        MESH_CONFIG.defaultServiceExportTo(), PROXIES, SERVICES,
        SERVICES_PER_NAMESPACE, REPLICAS, Runtime.getRuntime().availableProcessors(),
        Runtime.getRuntime().maxMemory() >> 20, System.getProperty("java.version"));
    Mesh mesh = new Mesh();
    probe(mesh);
    if (Boolean.parseBoolean(System.getProperty("warmup", "true"))) {
      // A running control plane is JIT-warm; warm the server paths with a quarter of the load, twice, output
      // discarded (with one small round, whichever scenario ran first still paid ~5 s of C2 compilation).
      java.io.PrintStream out = System.out;
      System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
      try {
        int n = WARMUP_PROXIES;
        for (int round = 0; round < WARMUP_ROUNDS; round++) {
          run("warmup-sotw", mesh, false, false, n);
          run("warmup-delta", mesh, true, false, n);
        }
      } finally {
        System.setOut(out);
      }
      System.out.println("(warm-up done: " + WARMUP_ROUNDS + " rounds of " + WARMUP_PROXIES
          + " proxies, SotW and delta)");
    }
    for (String s : scenarios) {
      switch (s.trim()) {
        case "sotw" -> run("gatehouse-sotw", mesh, false, false, PROXIES);
        case "delta" -> run("gatehouse-delta", mesh, true, false, PROXIES);
        case "baseline" -> run("baseline-simplecache-sotw", mesh, false, true, PROXIES);
        default -> throw new IllegalArgumentException("unknown scenario " + s);
      }
    }
    System.exit(0);
  }

  /** One proxy's config from the real translator: counts and bytes per type. */
  private static void probe(Mesh mesh) throws InvalidProtocolBufferException {
    ProxyConfigGenerator t = translator();
    long start = System.nanoTime();
    ProxyResources r = t.generate(mesh.v1, mesh.identity(0));
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    WireScan.check(r);
    StringBuilder b = new StringBuilder("one proxy's config:");
    for (String type : List.of(CDS, EDS, LDS, RDS)) {
      long bytes = 0;
      for (Message m : r.of(type).values()) {
        bytes += m.getSerializedSize();
      }
      b.append(String.format(" %s %d (%d KiB)", shortType(type), r.of(type).size(), bytes >> 10));
    }
    System.out.println(b + String.format("; first translation %d ms", ms));
  }

  /**
   * {@code -Dgenerator=real} (default): Gatehouse's translator; which services a sidecar sees follows MeshConfig
   * {@code defaultServiceExportTo} ({@code -DexportTo}, default {@code .}: its own namespace's services, Istio's
   * namespace-isolation setup; {@code -DexportTo=*}: every service). {@code -Dgenerator=namespace-scoped}: the server
   * tests' stand-in {@link NamespaceScopedTestGenerator} (own namespace's services, re-translated on every snapshot).
   */
  static ProxyConfigGenerator translator() {
    if ("namespace-scoped".equals(System.getProperty("generator", "real"))) {
      return new NamespaceScopedTestGenerator();
    }
    TranslationOptions options = TranslationOptions.defaults();
    return new SnapshotTranslator(options, AuthorizationFilters.forMesh(options));
  }

  private static void run(String name, Mesh mesh, boolean delta, boolean baseline, int count) throws Exception {
    System.out.println();
    System.out.println("== " + name);
    gc();
    long heapBefore = usedHeap();
    long cpu0 = cpuNanos();
    long gc0 = gcPauseMillis();
    Target target = baseline ? new BaselineTarget(mesh) : new GatehouseTarget(mesh);
    Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addServices(target.services()).maxInboundMessageSize(64 << 20).build().start();
    Fleet proxies = fleet(mesh);
    // Istio's bootstrap sets set_node_on_first_message_only; SimpleCache needs the node on every request (it keys
    // each request by it).
    Fleet.Connected connected = proxies.connect(delta, baseline, count, server.getPort());
    long connectMs = connected.all() ? connected.connectMs() : -1;
    long cpuConnect = cpuNanos() - cpu0;
    long gcConnect = gcPauseMillis() - gc0;
    gc();
    long heapConnected = usedHeap();
    String whose = SERVER_ONLY ? "server JVM" : "whole JVM, server and proxies";
    System.out.printf("connect: %s %d proxies ready (CDS+EDS+LDS+RDS acked) in %d ms; CPU %.1f s (%s)%s; heap after GC "
            + "%d MiB (%s; before server: %d MiB)%n", connected.all() ? "all" : "NOT ALL", connected.ready(),
        connected.connectMs(), cpuConnect / 1e9, whose, SERVER_ONLY
            ? String.format(", proxies JVM %.1f s", connected.proxiesCpuNanos() / 1e9) : "",
        heapConnected >> 20, whose, heapBefore >> 20);
    System.out.printf("  (GC pauses during the connect: %.1f s of wall time, %s)%n", gcConnect / 1e3, whose);
    if (Boolean.getBoolean("histogram")) {
      printHistogram(25);
    }
    System.out.printf("bytes received by proxies at connect: %d MiB%n", connected.bytes() >> 20);

    // A namespace-scoped AuthorizationPolicy change: only that namespace's proxies are affected.
    String ns = mesh.namespaceOf(count / 2);
    proxies.mark();
    long cpu1 = cpuNanos();
    MeshSnapshot withPolicy = mesh.withPolicy(ns);
    long change = System.nanoTime();
    target.onSnapshot(withPolicy);
    Fleet.Convergence policy = proxies.awaitPolicy(ns, change);
    System.out.printf("policy change in %s: %s %d affected proxies converged: p50 %d ms, p99 %d ms, max %d ms; "
            + "unaffected proxies sent new LDS: %d; bytes %d KiB; CPU %.2f s (%s)%n", ns,
        policy.all() ? "all" : "NOT ALL (" + policy.converged() + " of)", policy.affected(), policy.p50(), policy.p99(), policy.max(),
        policy.unaffectedPushed(), policy.bytes() >> 10, (cpuNanos() - cpu1) / 1e9, SERVER_ONLY ? "server" : "JVM");

    // An endpoint-only change: one service gains an endpoint.
    proxies.mark();
    long cpu2 = cpuNanos();
    MeshSnapshot withEndpoint = mesh.withExtraEndpoint(withPolicy, ns);
    target.resetPush();
    long change2 = System.nanoTime();
    target.onSnapshot(withEndpoint);
    Fleet.Convergence endpoint = proxies.awaitEndpoint(change2);
    long pushMs = target.lastPushMs();
    System.out.printf("endpoint-only change (svc-0 gains an endpoint): %s %d affected proxies got EDS: p50 %d ms, "
            + "p99 %d ms, max %d ms; server push pass %d ms; bytes sent: EDS %d KiB, all types %d KiB (%.2f KiB per "
            + "affected proxy); CPU %.2f s (%s)%n",
        endpoint.all() ? "all" : "NOT ALL (" + endpoint.converged() + " of)", endpoint.affected(), endpoint.p50(), endpoint.p99(), endpoint.max(), pushMs,
        endpoint.typeBytes() >> 10, endpoint.bytes() >> 10, endpoint.bytes() / 1024.0 / Math.max(1, endpoint.affected()),
        (cpuNanos() - cpu2) / 1e9, SERVER_ONLY ? "server" : "JVM");
    // The keys up to nacks= are the line's historical ones (compare across commits); later keys are appended.
    System.out.printf("RESULT %s connect_ms=%d policy_p50_ms=%d policy_p99_ms=%d policy_max_ms=%d heap_mib=%d "
            + "endpoint_change_kib=%d connect_cpu_s=%.1f nacks=%d endpoint_p99_ms=%d endpoint_push_ms=%d "
            + "proxies_jvm=%s connect_gc_pause_ms=%d%n", name, connectMs, policy.p50(), policy.p99(),
        policy.max(), heapConnected >> 20, endpoint.bytes() >> 10, cpuConnect / 1e9, proxies.nacks(), endpoint.p99(),
        pushMs, SERVER_ONLY ? "own" : "shared", gcConnect);
    if (CHURN_RATE > 0 && !baseline && !name.startsWith("warmup")) {
      churn(mesh, withEndpoint, target, proxies, count);
    }
    proxies.closeRun();
    server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    target.close();
  }

  /**
   * {@code -Drole=all} (default): the simulated proxies run in this JVM, so heap and CPU are the server's and theirs
   * together. {@code -Drole=server}: this JVM runs the server only and starts a second JVM ({@code -Drole=proxies},
   * with {@code -DproxiesJvmArgs}, default this JVM's {@code -Xmx}) for the proxies, driven over its stdin/stdout;
   * heap and CPU printed are then the server's own (both JVMs read the same monotonic clock, so latencies are from the
   * server's hand-over to the proxy's receipt as before).
   */
  private static final String ROLE = System.getProperty("role", "all");
  private static final boolean SERVER_ONLY = ROLE.equals("server");
  private static final int CONNECT_TIMEOUT_S = Integer.getInteger("connectTimeoutSeconds", 120);
  private static final int CHANGE_TIMEOUT_S = Integer.getInteger("changeTimeoutSeconds", 60);
  private static Fleet remote;

  private static Fleet fleet(Mesh mesh) throws Exception {
    if (!SERVER_ONLY) {
      return new LocalFleet(mesh);
    }
    if (remote == null) {
      remote = RemoteFleet.start();
    }
    return remote;
  }

  /** The simulated proxies of one run, here or in the second JVM. */
  interface Fleet {
    record Connected(boolean all, long ready, long connectMs, long bytes, long proxiesCpuNanos) {}

    /** Convergence of one change: affected proxies, latency from hand-over, bytes since {@link #mark}. */
    record Convergence(boolean all, int affected, int converged, long p50, long p99, long max, long unaffectedPushed,
        long bytes, long typeBytes) {}

    /** {@code nodeEveryRequest}: SotW requests all carry the node, else only each stream's first (as Istio's). */
    Connected connect(boolean delta, boolean nodeEveryRequest, int count, int port) throws Exception;

    /** Remembers every proxy's counters: the next change is measured from here. */
    void mark() throws Exception;

    /** Waits until every proxy of {@code ns} got a new LDS after {@link #mark}. */
    Convergence awaitPolicy(String ns, long changeNanos) throws Exception;

    /** Waits until every proxy subscribed to svc-0's endpoints got a new EDS after {@link #mark}. */
    Convergence awaitEndpoint(long changeNanos) throws Exception;

    long nacks() throws Exception;

    /** Churn bookkeeping on the proxies' side; deliveries land in {@code ch}. */
    void churnStart(Churn ch) throws Exception;

    void churnStop() throws Exception;

    void closeRun() throws Exception;
  }

  static final class LocalFleet implements Fleet {
    private final Mesh mesh;
    private final List<ManagedChannel> channels = new ArrayList<>();
    private final List<SimProxy> proxies = new ArrayList<>();
    private final Map<SimProxy, long[]> marked = new java.util.HashMap<>();
    private final java.util.concurrent.atomic.AtomicInteger ready = new java.util.concurrent.atomic.AtomicInteger();
    private long bytesAtMark;
    private long edsBytesAtMark;

    LocalFleet(Mesh mesh) {
      this.mesh = mesh;
    }

    @Override
    public Connected connect(boolean delta, boolean nodeEveryRequest, int count, int port) throws Exception {
      long cpu0 = cpuNanos();
      ready.set(0);
      for (int i = 0; i < CHANNELS; i++) {
        channels.add(NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext()
            .maxInboundMessageSize(256 << 20).build());
      }
      long t0 = System.nanoTime();
      for (int i = 0; i < count; i++) {
        SimProxy p = new SimProxy(i, mesh.node(i), delta, nodeEveryRequest, ready);
        proxies.add(p);
        p.start(channels.get(i % CHANNELS));
      }
      // A counter, not a scan of every proxy per poll (that scan was a tenth of this JVM's CPU at 50,000).
      boolean all = await(() -> ready.get() == count, CONNECT_TIMEOUT_S);
      long ms = TimeUnit.NANOSECONDS.toMillis(proxies.stream().mapToLong(p -> p.readyAt).max().orElse(t0) - t0);
      return new Connected(all, proxies.stream().filter(SimProxy::ready).count(), all ? ms : -1, totalBytes(),
          cpuNanos() - cpu0);
    }

    private long totalBytes() {
      long n = 0;
      for (SimProxy p : proxies) {
        n += p.bytes.get();
      }
      return n;
    }

    private long edsBytes() {
      return proxies.stream().mapToLong(p -> p.bytesByType.get(EDS)).sum();
    }

    @Override
    public void mark() {
      marked.clear();
      proxies.forEach(p -> marked.put(p, new long[] {p.ldsResponses.get(), p.edsResponses.get()}));
      bytesAtMark = totalBytes();
      edsBytesAtMark = edsBytes();
    }

    @Override
    public Convergence awaitPolicy(String ns, long change) throws Exception {
      List<SimProxy> affected = proxies.stream().filter(p -> mesh.namespaceOf(p.index).equals(ns)).toList();
      boolean all = await(() -> affected.stream().allMatch(p -> p.ldsResponses.get() > marked.get(p)[0]),
          CHANGE_TIMEOUT_S);
      // Latencies of the proxies that did converge (one that never got it has no receipt time).
      long[] conv = affected.stream().filter(p -> p.ldsResponses.get() > marked.get(p)[0])
          .mapToLong(p -> p.lastLdsAt - change).sorted().toArray();
      Thread.sleep(300);
      Set<SimProxy> affectedSet = new HashSet<>(affected);
      long unaffected = proxies.stream().filter(p -> !affectedSet.contains(p))
          .filter(p -> p.ldsResponses.get() > marked.get(p)[0]).count();
      return new Convergence(all, affected.size(), conv.length, pct(conv, 50), pct(conv, 99), pct(conv, 100),
          unaffected, totalBytes() - bytesAtMark, 0);
    }

    @Override
    public Convergence awaitEndpoint(long change) throws Exception {
      List<SimProxy> affected = proxies.stream().filter(SimProxy::subscribesToChangedService).toList();
      boolean all = await(() -> affected.stream().allMatch(p -> p.edsResponses.get() > marked.get(p)[1]),
          CHANGE_TIMEOUT_S);
      long[] conv = affected.stream().filter(p -> p.edsResponses.get() > marked.get(p)[1])
          .mapToLong(p -> p.lastEdsAt - change).sorted().toArray();
      Thread.sleep(300);
      Set<SimProxy> affectedSet = new HashSet<>(affected);
      long unaffected = proxies.stream().filter(p -> !affectedSet.contains(p))
          .filter(p -> p.edsResponses.get() > marked.get(p)[1]).count();
      return new Convergence(all, affected.size(), conv.length, pct(conv, 50), pct(conv, 99), pct(conv, 100),
          unaffected, totalBytes() - bytesAtMark, edsBytes() - edsBytesAtMark);
    }

    @Override
    public long nacks() {
      return proxies.stream().mapToLong(p -> p.nacks).sum();
    }

    @Override
    public void churnStart(Churn ch) {
      churn = ch;
    }

    @Override
    public void churnStop() {
      churn = null;
    }

    @Override
    public void closeRun() {
      for (SimProxy p : proxies) {
        p.close();
      }
      for (ManagedChannel c : channels) {
        c.shutdownNow();
      }
      proxies.clear();
      channels.clear();
    }
  }

  /**
   * The proxies in a second JVM: one line per command on its stdin, one reply line on its stdout; churn deliveries
   * arrive as {@code D <change> <nanoTime>} lines at any time.
   */
  static final class RemoteFleet implements Fleet {
    private final Process process;
    private final java.io.PrintWriter out;
    private final java.util.concurrent.BlockingQueue<String> replies = new java.util.concurrent.LinkedBlockingQueue<>();
    private volatile Churn ch;

    private RemoteFleet(Process process) {
      this.process = process;
      this.out = new java.io.PrintWriter(new java.io.OutputStreamWriter(process.getOutputStream(),
          java.nio.charset.StandardCharsets.UTF_8), true);
      Thread reader = new Thread(this::read, "proxies-jvm-reader");
      reader.setDaemon(true);
      reader.start();
    }

    static RemoteFleet start() throws Exception {
      List<String> cmd = new ArrayList<>();
      cmd.add(ProcessHandle.current().info().command().orElse("java"));
      String jvmArgs = System.getProperty("proxiesJvmArgs", "-Xmx" + (Runtime.getRuntime().maxMemory() >> 20) + "m");
      cmd.addAll(Arrays.asList(jvmArgs.trim().split("\\s+")));
      if (!jvmArgs.matches(".*-XX:[+-]Use\\w*GC.*")) {
        // Only the proxies' CPU matters here, not their pauses: the throughput collector leaves the server more of
        // the two cores than G1 (a quarter less CPU in the proxies JVM at 50,000 proxies).
        cmd.add("-XX:+UseParallelGC");
      }
      for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
        if (a.startsWith("-D") && !a.startsWith("-Drole=") && !a.startsWith("-DproxiesJvmArgs=")) {
          cmd.add(a);
        }
      }
      cmd.add("-Drole=proxies");
      cmd.add("-cp");
      cmd.add(System.getProperty("java.class.path"));
      cmd.add(XdsServerBenchmark.class.getName());
      Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
      Runtime.getRuntime().addShutdownHook(new Thread(p::destroyForcibly));
      RemoteFleet f = new RemoteFleet(p);
      f.call("HELLO");
      // To the console even when the proxies JVM starts during the warm-up, whose output is discarded.
      CONSOLE.printf("simulated proxies run in a second JVM (pid %d, %s); heap and CPU below are the server "
          + "JVM's%n", p.pid(), String.join(" ", cmd.subList(1, cmd.indexOf("-Drole=proxies")))
              .replaceAll(" -D\\S+", ""));
      return f;
    }

    private void read() {
      try (var in = new java.io.BufferedReader(new java.io.InputStreamReader(process.getInputStream(),
          java.nio.charset.StandardCharsets.UTF_8))) {
        String line;
        while ((line = in.readLine()) != null) {
          if (line.startsWith("[")) {
            System.err.println("proxies JVM: " + line); // its own JVM log (e.g. -XX:StartFlightRecording), not a reply
          } else if (line.startsWith("D ")) {
            String[] f = line.split(" ");
            Churn c = ch;
            if (c != null) {
              int change = Integer.parseInt(f[1]);
              c.doneAt[change] = Long.parseLong(f[2]);
              c.done.incrementAndGet();
            }
          } else {
            replies.add(line);
          }
        }
      } catch (java.io.IOException e) {
        // the proxies JVM went away: callers time out below
      }
      replies.add("EOF");
    }

    private String[] call(String command) throws InterruptedException {
      out.println(command);
      String reply = replies.poll(CONNECT_TIMEOUT_S + CHANGE_TIMEOUT_S + 60, TimeUnit.SECONDS);
      if (reply == null || reply.equals("EOF") || reply.startsWith("ERROR")) {
        throw new IllegalStateException("proxies JVM: no reply to " + command + ": " + reply);
      }
      return reply.split(" ");
    }

    @Override
    public Connected connect(boolean delta, boolean nodeEveryRequest, int count, int port) throws Exception {
      String[] r = call("CONNECT " + delta + " " + count + " " + port + " " + nodeEveryRequest);
      return new Connected(Boolean.parseBoolean(r[1]), Long.parseLong(r[2]), Long.parseLong(r[3]),
          Long.parseLong(r[4]), Long.parseLong(r[5]));
    }

    @Override
    public void mark() throws Exception {
      call("MARK");
    }

    @Override
    public Convergence awaitPolicy(String ns, long change) throws Exception {
      return convergence(call("POLICY " + ns + " " + change));
    }

    @Override
    public Convergence awaitEndpoint(long change) throws Exception {
      return convergence(call("ENDPOINT " + change));
    }

    private static Convergence convergence(String[] r) {
      return new Convergence(Boolean.parseBoolean(r[1]), Integer.parseInt(r[2]), Integer.parseInt(r[3]),
          Long.parseLong(r[4]), Long.parseLong(r[5]), Long.parseLong(r[6]), Long.parseLong(r[7]), Long.parseLong(r[8]),
          Long.parseLong(r[9]));
    }

    @Override
    public long nacks() throws Exception {
      return Long.parseLong(call("NACKS")[1]);
    }

    @Override
    public void churnStart(Churn c) throws Exception {
      ch = c;
      call("CHURN " + c.sentAt.length);
    }

    @Override
    public void churnStop() throws Exception {
      call("CHURNEND");
      ch = null;
    }

    @Override
    public void closeRun() throws Exception {
      call("CLOSE");
    }
  }

  /** {@code -Drole=proxies}: the second JVM, answering {@link RemoteFleet}'s commands with a {@link LocalFleet}. */
  private static void proxiesMain() throws Exception {
    Mesh mesh = new Mesh();
    java.io.PrintStream reply = System.out;
    System.setOut(System.err);
    var in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in, java.nio.charset.StandardCharsets.UTF_8));
    LocalFleet fleet = new LocalFleet(mesh);
    int count = 0;
    String line;
    while ((line = in.readLine()) != null) {
      String[] c = line.split(" ");
      try {
        switch (c[0]) {
          case "HELLO" -> reply.println("OK");
          case "CONNECT" -> {
            count = Integer.parseInt(c[2]);
            Fleet.Connected r = fleet.connect(Boolean.parseBoolean(c[1]), Boolean.parseBoolean(c[4]), count,
                Integer.parseInt(c[3]));
            reply.println("CONNECTED " + r.all() + " " + r.ready() + " " + r.connectMs() + " " + r.bytes() + " "
                + r.proxiesCpuNanos());
          }
          case "MARK" -> {
            fleet.mark();
            reply.println("OK");
          }
          case "POLICY" -> reply.println(line(fleet.awaitPolicy(c[1], Long.parseLong(c[2]))));
          case "ENDPOINT" -> reply.println(line(fleet.awaitEndpoint(Long.parseLong(c[1]))));
          case "NACKS" -> reply.println("NACKS " + fleet.nacks());
          case "CHURN" -> {
            Churn ch = new Churn(Integer.parseInt(c[1]));
            int[] expected = churnExpected(mesh, count, ch.expected.length);
            System.arraycopy(expected, 0, ch.expected, 0, expected.length);
            ch.onDone = (change, at) -> {
              synchronized (reply) {
                reply.println("D " + change + " " + at);
              }
            };
            fleet.churnStart(ch);
            reply.println("OK");
          }
          case "CHURNEND" -> {
            fleet.churnStop();
            reply.println("OK");
          }
          case "CLOSE" -> {
            fleet.closeRun();
            reply.println("OK");
          }
          default -> reply.println("ERROR unknown command " + c[0]);
        }
      } catch (RuntimeException e) {
        e.printStackTrace();
        reply.println("ERROR " + e);
      }
    }
    System.exit(0);
  }

  private static String line(Fleet.Convergence v) {
    return "CONV " + v.all() + " " + v.affected() + " " + v.converged() + " " + v.p50() + " " + v.p99() + " " + v.max() + " "
        + v.unaffectedPushed() + " " + v.bytes() + " " + v.typeBytes();
  }

  /**
   * How many proxies must receive change {@code c} (service {@code svc-(c mod services)}): its namespace's, or every
   * proxy with {@code -DexportTo=*}.
   */
  static int[] churnExpected(Mesh mesh, int count, int changes) {
    Map<String, Integer> perNamespace = new java.util.HashMap<>();
    for (int i = 0; i < count; i++) {
      perNamespace.merge(mesh.namespaceOf(i), 1, Integer::sum);
    }
    boolean everywhere = MESH_CONFIG.defaultServiceExportTo().contains("*");
    int[] expected = new int[changes];
    for (int c = 0; c < changes; c++) {
      String ns = "ns-" + ((c % SERVICES) / SERVICES_PER_NAMESPACE);
      expected[c] = everywhere ? count : perNamespace.getOrDefault(ns, 0);
    }
    return expected;
  }


  private static long pct(long[] sortedNanos, int p) {
    if (sortedNanos.length == 0) {
      return -1;
    }
    int i = (int) Math.ceil(p / 100.0 * sortedNanos.length) - 1;
    return TimeUnit.NANOSECONDS.toMillis(sortedNanos[Math.max(0, Math.min(i, sortedNanos.length - 1))]);
  }

  private static boolean await(Supplier<Boolean> cond, int seconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < deadline) {
      if (cond.get()) {
        return true;
      }
      Thread.sleep(20); // each proxy stamps its own times; this only decides when to stop waiting
    }
    return false;
  }

  private static void gc() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(100);
    }
  }

  /** The top of {@code jcmd <pid> GC.class_histogram} (live objects; forces a full GC), {@code -Dhistogram=true}. */
  private static void printHistogram(int lines) throws Exception {
    String h = (String) ManagementFactory.getPlatformMBeanServer().invoke(
        new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
        new Object[] {null}, new String[] {String[].class.getName()});
    h.lines().limit(lines + 3L).forEach(l -> System.out.println("  " + l));
  }

  private static long usedHeap() {
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /** Total stop-the-world collection time so far, as the collectors report it (wall milliseconds). */
  private static long gcPauseMillis() {
    long ms = 0;
    for (java.lang.management.GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      ms += Math.max(0, gc.getCollectionTime());
    }
    return ms;
  }

  private static long cpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  static String shortType(String typeUrl) {
    return switch (typeUrl) {
      case CDS -> "CDS";
      case EDS -> "EDS";
      case LDS -> "LDS";
      default -> "RDS";
    };
  }

  /** The mesh: SERVICES services, REPLICAS sidecar pods each, SERVICES_PER_NAMESPACE services per namespace. */
  static final class Mesh {
    final MeshSnapshot v1;
    private final List<Workload> pods = new ArrayList<>();

    Mesh() {
      MeshSnapshot.Builder b = MeshSnapshot.builder(1, MESH_CONFIG);
      int namespaces = (SERVICES + SERVICES_PER_NAMESPACE - 1) / SERVICES_PER_NAMESPACE;
      for (int n = 0; n < namespaces; n++) {
        b.namespace(new NamespaceInfo(ResourceMeta.of("Namespace", "", "ns-" + n)));
      }
      for (int s = 0; s < SERVICES; s++) {
        String ns = "ns-" + (s / SERVICES_PER_NAMESPACE);
        String svc = "svc-" + s;
        b.service(new ServiceInfo(ResourceMeta.of("Service", ns, svc), svc + "." + ns + ".svc.cluster.local",
            List.of(new ServicePort("http", 80, "TCP", "", 8080, "")), Map.of("app", svc), ""));
        List<EndpointSliceInfo.Endpoint> eps = new ArrayList<>();
        for (int r = 0; r < REPLICAS; r++) {
          int i = s * REPLICAS + r;
          String ip = ip(i);
          String pod = svc + "-" + r;
          Workload w = new Workload(new ResourceMeta("v1", "Pod", ns, pod, null, "1",
              Map.of("app", svc, "security.istio.io/tlsMode", "istio"), Map.of(), "benchmark"), svc, ip,
              List.of(new ContainerPort("http", 8080, "TCP")), true, false);
          b.workload(w);
          pods.add(w);
          eps.add(new EndpointSliceInfo.Endpoint(List.of(ip), true, pod, "", "", 1));
        }
        b.endpointSlice(new EndpointSliceInfo(ResourceMeta.of("EndpointSlice", ns, svc + "-x"), svc,
            List.of(new EndpointSliceInfo.Port("http", 8080, "TCP", "")), eps));
      }
      v1 = b.build();
    }

    static String ip(int i) {
      return "127.10." + (i / 250) + "." + (i % 250 + 1);
    }

    Workload pod(int proxy) {
      return pods.get(proxy % pods.size());
    }

    String namespaceOf(int proxy) {
      return pod(proxy).namespace();
    }

    Node node(int proxy) {
      Workload w = pod(proxy);
      return Node.newBuilder()
          .setId("sidecar~" + w.ip() + "~" + w.name() + "." + w.namespace() + "~" + w.namespace() + ".svc.cluster.local")
          .setMetadata(Struct.newBuilder()
              .putFields("NAMESPACE", Value.newBuilder().setStringValue(w.namespace()).build())
              .putFields("SERVICE_ACCOUNT", Value.newBuilder().setStringValue(w.serviceAccount()).build())
              .putFields("INTERCEPTION_MODE", Value.newBuilder().setStringValue("REDIRECT").build()))
          .build();
    }

    ProxyIdentity identity(int proxy) {
      Workload w = pod(proxy);
      return new ProxyIdentity(ProxyKind.SIDECAR, w.key(), w.ip(), w.namespace(), w.serviceAccount(), Map.of());
    }

    MeshSnapshot withPolicy(String ns) {
      return policy(v1.toBuilder(2), ns).build();
    }

    /**
     * {@code withPolicy} with svc-0's EndpointSlice gaining an endpoint. Derived from it ({@code toBuilder}), as the
     * control plane's config stream derives each snapshot from the one before, so the unchanged parts are shared;
     * {@code -Dsnapshots=fresh} builds the same content from scratch instead (every map new: the translator then
     * compares the snapshots object by object).
     */
    MeshSnapshot withExtraEndpoint(MeshSnapshot withPolicy, String ns) {
      boolean fresh = "fresh".equals(System.getProperty("snapshots", "derived"));
      MeshSnapshot.Builder b;
      if (fresh) {
        b = MeshSnapshot.builder(3, MESH_CONFIG);
        for (NamespaceInfo n : v1.namespaces().values()) {
          b.namespace(n);
        }
        v1.workloads().values().forEach(b::workload);
        v1.services().values().forEach(b::service);
        v1.endpointSlices().values().forEach(b::endpointSlice);
        policy(b, ns);
      } else {
        b = withPolicy.toBuilder(3);
      }
      for (EndpointSliceInfo e : v1.endpointSlicesForService(ObjectKey.of(namespaceOf(0), "svc-0"))) {
        List<EndpointSliceInfo.Endpoint> eps = new ArrayList<>(e.endpoints());
        eps.add(new EndpointSliceInfo.Endpoint(List.of("127.11.0.1"), true, "", "", "", 1));
        b.endpointSlice(new EndpointSliceInfo(e.meta(), e.serviceName(), e.ports(), eps));
      }
      return b.build();
    }

    private static MeshSnapshot.Builder policy(MeshSnapshot.Builder b, String ns) {
      return b.authorizationPolicy(new Policy<>(PolicyKind.AUTHORIZATION_POLICY,
          ResourceMeta.of("AuthorizationPolicy", ns, "allow-same-namespace"),
          AuthorizationPolicy.newBuilder().setAction(AuthorizationPolicy.Action.ALLOW)
              .addRules(Rule.newBuilder().addFrom(Rule.From.newBuilder()
                  .setSource(Source.newBuilder().addNamespaces(ns)))).build()));
    }
  }

  interface Target extends AutoCloseable {
    List<ServerServiceDefinition> services();

    void onSnapshot(MeshSnapshot s);

    /** Forget the last push pass (before a change whose pass {@link #lastPushMs} should report). */
    default void resetPush() {}

    /** The server's last push pass over its streams, ms; -1 when none (or not known, as for the baseline). */
    default long lastPushMs() {
      return -1;
    }

    @Override
    void close();
  }

  static final class GatehouseTarget implements Target {
    private final XdsServer server;
    private volatile long lastPushMs = -1;

    @Override
    public void resetPush() {
      lastPushMs = -1;
    }

    @Override
    public long lastPushMs() {
      return lastPushMs;
    }

    GatehouseTarget(Mesh mesh) {
      server = XdsServer.builder(translator()).initialSnapshot(mesh.v1).events(new XdsServerEvents() {
        @Override
        public void pushCompleted(java.time.Duration took, int distinctProxies, int streams) {
          lastPushMs = took.toMillis();
          Churn ch = churnStats;
          if (ch != null) {
            ch.pushes.incrementAndGet();
            ch.pushMaxMs.accumulateAndGet(took.toMillis(), Math::max);
            return;
          }
          System.out.printf("  (server push of one snapshot: %d ms for %d streams, %d distinct proxies)%n",
              took.toMillis(), streams, distinctProxies);
        }
      }).build();
    }

    @Override
    public List<ServerServiceDefinition> services() {
      return List.of(server.services().get(0));
    }

    @Override
    public void onSnapshot(MeshSnapshot s) {
      server.onSnapshot(s);
    }

    @Override
    public void close() {
      server.close();
    }
  }

  /**
   * The baseline: java-control-plane's SimpleCache keyed by node id, one Snapshot per proxy, each translated by its own
   * translator (nothing shared), versioned by the mesh snapshot version; on every change every proxy's snapshot is
   * rebuilt and set. A snapshot is set when a proxy's first request arrives.
   */
  static final class BaselineTarget implements Target {
    private final SimpleCache<String> cache = new SimpleCache<>(new NodeGroup<String>() {
      @Override
      public String hash(io.envoyproxy.envoy.config.core.v3.Node node) {
        return node.getId();
      }
    });
    private final V3DiscoveryServer server;
    private final Map<String, Integer> proxyIndexByNode = new java.util.concurrent.ConcurrentHashMap<>();
    private final Mesh mesh;
    private volatile MeshSnapshot current;
    private final java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(
        Runtime.getRuntime().availableProcessors());

    BaselineTarget(Mesh mesh) {
      this.mesh = mesh;
      this.current = mesh.v1;
      for (int i = 0; i < PROXIES; i++) {
        proxyIndexByNode.put(mesh.node(i).getId(), i);
      }
      server = new V3DiscoveryServer(new io.envoyproxy.controlplane.server.DiscoveryServerCallbacks() {
        @Override
        public void onV3StreamRequest(long streamId, DiscoveryRequest request) {
          if (request.hasNode() && cache.getSnapshot(request.getNode().getId()) == null) {
            Integer i = proxyIndexByNode.get(request.getNode().getId());
            cache.setSnapshot(request.getNode().getId(), snapshotFor(current, i));
          }
        }

        @Override
        public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) {}
      }, cache);
    }

    private Snapshot snapshotFor(MeshSnapshot s, int proxy) {
      ProxyResources r = translator().generate(s, mesh.identity(proxy));
      return Snapshot.create(typed(r, CDS, Cluster.class), typed(r, EDS, ClusterLoadAssignment.class),
          typed(r, LDS, Listener.class), typed(r, RDS, RouteConfiguration.class), List.of(),
          Long.toString(s.version()));
    }

    @SuppressWarnings("unchecked")
    private static <T> List<T> typed(ProxyResources r, String type, Class<T> c) {
      return (List<T>) new ArrayList<>(r.of(type).values());
    }

    @Override
    public List<ServerServiceDefinition> services() {
      return List.of(server.getAggregatedDiscoveryServiceImpl().bindService());
    }

    @Override
    public void onSnapshot(MeshSnapshot s) {
      current = s;
      for (String node : new ArrayList<>(cache.groups())) {
        pool.execute(() -> cache.setSnapshot(node, snapshotFor(s, proxyIndexByNode.get(node))));
      }
    }

    @Override
    public void close() {
      pool.shutdownNow();
    }
  }

  /** A raw ADS stream that subscribes and ACKs like Envoy, keeping only versions, names and counters. */
  static final class SimProxy {
    final int index;
    final Node node;
    final boolean delta;
    final AtomicLong bytes = new AtomicLong();
    final Map<String, Long> bytesByType = new java.util.concurrent.ConcurrentHashMap<>(
        Map.of(CDS, 0L, EDS, 0L, LDS, 0L, RDS, 0L));
    final AtomicLong ldsResponses = new AtomicLong();
    final AtomicLong edsResponses = new AtomicLong();
    volatile long lastLdsAt;
    volatile long lastEdsAt;
    volatile long readyAt;
    volatile long nacks;
    private final Set<String> got = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private Set<String> edsNames = Set.of();
    private final Map<String, String> edsByCluster = new java.util.HashMap<>();
    private Set<String> rdsNames = Set.of();
    private StreamObserver<DiscoveryRequest> sotw;
    private StreamObserver<DeltaDiscoveryRequest> deltaOut;

    /** Whether SotW requests after a stream's first carry the node too. */
    private final boolean nodeEveryRequest;

    /** Counts this proxy once, when it becomes ready. */
    private final java.util.concurrent.atomic.AtomicInteger readyCount;

    SimProxy(int index, Node node, boolean delta, boolean nodeEveryRequest,
        java.util.concurrent.atomic.AtomicInteger readyCount) {
      this.readyCount = readyCount;
      this.index = index;
      this.node = node;
      this.delta = delta;
      this.nodeEveryRequest = nodeEveryRequest;
    }

    boolean ready() {
      return readyAt != 0;
    }

    synchronized boolean subscribesToChangedService() {
      for (String n : edsNames) {
        if (n.endsWith("|svc-0.ns-0.svc.cluster.local")) {
          return true;
        }
      }
      return false;
    }

    void start(ManagedChannel channel) {
      var stub = AggregatedDiscoveryServiceGrpc.newStub(channel);
      synchronized (this) {
        if (delta) {
          deltaOut = stub.deltaAggregatedResources(new StreamObserver<>() {
            @Override
            public void onNext(DeltaDiscoveryResponse r) {
              onDelta(r);
            }

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onCompleted() {}
          });
          deltaOut.onNext(DeltaDiscoveryRequest.newBuilder().setNode(node).setTypeUrl(CDS).build());
          deltaOut.onNext(DeltaDiscoveryRequest.newBuilder().setTypeUrl(LDS).build());
        } else {
          sotw = stub.streamAggregatedResources(new StreamObserver<>() {
            @Override
            public void onNext(DiscoveryResponse r) {
              onSotw(r);
            }

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onCompleted() {}
          });
          sotw.onNext(DiscoveryRequest.newBuilder().setNode(node).setTypeUrl(CDS).build());
          sotw.onNext(withNode(DiscoveryRequest.newBuilder().setTypeUrl(LDS)));
        }
      }
    }

    private synchronized void onSotw(DiscoveryResponse r) {
      handleSotw(r);
      checkReady();
    }

    /** Churn: the changes this proxy has seen, by cluster (SotW repeats every ClusterLoadAssignment). */
    private final Map<String, Integer> churnSeen = new java.util.HashMap<>();

    private void churnDeliveries(String type, List<Any> resources) {
      Churn ch = churn;
      if (ch == null || !type.equals(EDS)) {
        return;
      }
      for (Any a : resources) {
        try {
          ClusterLoadAssignment cla = ClusterLoadAssignment.parseFrom(a.getValue());
          for (var l : cla.getEndpointsList()) {
            for (var lb : l.getLbEndpointsList()) {
              int c = Churn.change(lb.getEndpoint().getAddress().getSocketAddress().getAddress());
              if (c >= 0) {
                Integer before = churnSeen.put(cla.getClusterName(), c);
                if (before == null || before != c) {
                  ch.delivered(c);
                }
              }
            }
          }
        } catch (InvalidProtocolBufferException e) {
          // not a ClusterLoadAssignment: nothing delivered
        }
      }
    }

    private void handleSotw(DiscoveryResponse r) {
      String type = r.getTypeUrl();
      churnDeliveries(type, r.getResourcesList());
      long size = 0;
      for (Any a : r.getResourcesList()) {
        size += a.getValue().size();
      }
      account(type, size);
      List<String> ackNames = List.of();
      if (type.equals(CDS)) {
        Set<String> names = new TreeSet<>();
        for (Any a : r.getResourcesList()) {
          String eds = edsServiceName(a);
          if (eds != null) {
            names.add(eds);
          }
        }
        sotw.onNext(ack(r, List.of()));
        if (!names.equals(edsNames)) {
          edsNames = names;
          sotw.onNext(withNode(DiscoveryRequest.newBuilder().setTypeUrl(EDS).addAllResourceNames(names)));
        }
        return;
      }
      if (type.equals(LDS)) {
        Set<String> routes = new TreeSet<>();
        for (Any a : r.getResourcesList()) {
          routes.addAll(routeNames(a));
        }
        sotw.onNext(ack(r, List.of()));
        if (!routes.equals(rdsNames)) {
          rdsNames = routes;
          sotw.onNext(withNode(DiscoveryRequest.newBuilder().setTypeUrl(RDS).addAllResourceNames(routes)));
        }
        return;
      }
      ackNames = List.copyOf(type.equals(EDS) ? edsNames : rdsNames);
      sotw.onNext(ack(r, ackNames));
    }

    private DiscoveryRequest ack(DiscoveryResponse r, List<String> names) {
      return withNode(DiscoveryRequest.newBuilder().setTypeUrl(r.getTypeUrl()).setVersionInfo(r.getVersionInfo())
          .setResponseNonce(r.getNonce()).addAllResourceNames(names));
    }

    /** A SotW request after the stream's first: with the node only when {@code nodeEveryRequest}. */
    private DiscoveryRequest withNode(DiscoveryRequest.Builder b) {
      return (nodeEveryRequest ? b.setNode(node) : b).build();
    }

    private synchronized void onDelta(DeltaDiscoveryResponse r) {
      handleDelta(r);
      checkReady();
    }

    private void handleDelta(DeltaDiscoveryResponse r) {
      String type = r.getTypeUrl();
      if (churn != null && type.equals(EDS)) {
        churnDeliveries(type, r.getResourcesList().stream().map(Resource::getResource).toList());
      }
      long size = 0;
      for (Resource res : r.getResourcesList()) {
        size += res.getResource().getValue().size();
      }
      account(type, size);
      deltaOut.onNext(DeltaDiscoveryRequest.newBuilder().setTypeUrl(type).setResponseNonce(r.getNonce()).build());
      if (type.equals(CDS)) {
        for (Resource res : r.getResourcesList()) {
          String eds = edsServiceName(res.getResource());
          if (eds != null) {
            edsByCluster.put(res.getName(), eds);
          } else {
            edsByCluster.remove(res.getName());
          }
        }
        r.getRemovedResourcesList().forEach(edsByCluster::remove);
        Set<String> names = new TreeSet<>(edsByCluster.values());
        subscribeDelta(EDS, edsNames, names);
        edsNames = names;
      } else if (type.equals(LDS)) {
        Set<String> routes = new TreeSet<>(rdsNames);
        for (Resource res : r.getResourcesList()) {
          routes.addAll(routeNames(res.getResource()));
        }
        subscribeDelta(RDS, rdsNames, routes);
        rdsNames = routes;
      }
    }

    private void subscribeDelta(String type, Set<String> before, Set<String> after) {
      Set<String> add = new HashSet<>(after);
      add.removeAll(before);
      Set<String> remove = new HashSet<>(before);
      remove.removeAll(after);
      if (!add.isEmpty() || !remove.isEmpty()) {
        deltaOut.onNext(DeltaDiscoveryRequest.newBuilder().setTypeUrl(type).addAllResourceNamesSubscribe(add)
            .addAllResourceNamesUnsubscribe(remove).build());
      }
    }

    private void account(String type, long size) {
      bytes.addAndGet(size);
      bytesByType.merge(type, size, Long::sum);
      long now = System.nanoTime();
      if (type.equals(LDS)) {
        lastLdsAt = now;
        ldsResponses.incrementAndGet();
      } else if (type.equals(EDS)) {
        lastEdsAt = now;
        edsResponses.incrementAndGet();
      }
      got.add(type);
    }

    /** Ready once CDS and LDS arrived and EDS/RDS arrived for whatever names they referenced. */
    private void checkReady() {
      if (readyAt == 0 && got.contains(CDS) && got.contains(LDS)
          && (edsNames.isEmpty() || got.contains(EDS)) && (rdsNames.isEmpty() || got.contains(RDS))) {
        readyAt = System.nanoTime();
        readyCount.incrementAndGet();
      }
    }

    /**
     * The EDS name Envoy would subscribe to for this cluster (its eds_cluster_config.service_name, else its name), or
     * null when the cluster is not of type EDS (inbound STATIC clusters, ORIGINAL_DST passthrough): Envoy asks EDS
     * only for EDS clusters, and SimpleCache does not answer a request naming resources it does not have. Read from
     * the wire ({@link WireScan}); {@link #probe} checks it against a full parse.
     */
    static String edsServiceName(Any a) {
      return WireScan.edsServiceName(a.getValue());
    }

    /** The RDS route names of a listener's HTTP connection managers (filter chains and API listener). */
    static List<String> routeNames(Any a) {
      return WireScan.routeNames(a.getValue());
    }

    synchronized void close() {
      try {
        if (sotw != null) {
          sotw.onCompleted();
        }
        if (deltaOut != null) {
          deltaOut.onCompleted();
        }
      } catch (RuntimeException ignored) {
        // already closed
      }
    }
  }

  /**
   * The few fields a simulated proxy needs, read from the wire format with protobuf's {@code CodedInputStream} instead
   * of parsing whole Clusters and Listeners (which made up a third of the simulated proxies' CPU at 25,000 proxies,
   * CPU taken from the server on this 2-core machine). Field numbers are Envoy's v3 API's: Cluster name = 1, type = 2,
   * eds_cluster_config = 3 (service_name = 2); Listener filter_chains = 3 (filters = 3, typed_config = 4),
   * api_listener = 19 (api_listener = 1); Any type_url = 1, value = 2; HttpConnectionManager rds = 3
   * (route_config_name = 2). {@link XdsServerBenchmark#probe} checks both against the generated parsers on the real
   * translator's output before every run.
   */
  static final class WireScan {
    private static final String HCM_TYPE =
        dev.gatehouse.xds.ProtoBytes.typeUrl(HttpConnectionManager.getDescriptor()).toStringUtf8();

    private WireScan() {}

    static String edsServiceName(com.google.protobuf.ByteString cluster) {
      int type = Cluster.DiscoveryType.STATIC_VALUE; // the default; also when cluster_type (38) is set instead
      for (Field f : fields(cluster)) {
        if (f.number == 2 && f.bytes == null) {
          type = (int) f.varint;
        }
      }
      if (type != Cluster.DiscoveryType.EDS_VALUE) {
        return null;
      }
      String service = string(values(values(cluster, 3), 2));
      return service.isEmpty() ? string(values(cluster, 1)) : service;
    }

    static List<String> routeNames(com.google.protobuf.ByteString listener) {
      // filter_chains.filters.typed_config, then api_listener.api_listener
      List<com.google.protobuf.ByteString> configs = values(values(values(listener, 3), 3), 4);
      configs.addAll(values(values(listener, 19), 1));
      List<String> out = new ArrayList<>();
      for (com.google.protobuf.ByteString any : configs) {
        if (string(values(any, 1)).equals(HCM_TYPE)) {
          for (com.google.protobuf.ByteString name : values(values(values(any, 2), 3), 2)) {
            out.add(name.toStringUtf8());
          }
        }
      }
      return out;
    }

    private static List<com.google.protobuf.ByteString> values(com.google.protobuf.ByteString message, int number) {
      return values(List.of(message), number);
    }

    /** The length-delimited values of field {@code number} in each of {@code messages}, in order. */
    private static List<com.google.protobuf.ByteString> values(
        List<com.google.protobuf.ByteString> messages, int number) {
      List<com.google.protobuf.ByteString> out = new ArrayList<>();
      for (com.google.protobuf.ByteString m : messages) {
        for (Field f : fields(m)) {
          if (f.number == number && f.bytes != null) {
            out.add(f.bytes);
          }
        }
      }
      return out;
    }

    /** The last value, as protobuf reads a repeated occurrence of a singular field; empty when there is none. */
    private static String string(List<com.google.protobuf.ByteString> values) {
      return values.isEmpty() ? "" : values.get(values.size() - 1).toStringUtf8();
    }

    /** One top-level field: its number and either its varint or its length-delimited bytes (a view, not a copy). */
    private record Field(int number, long varint, com.google.protobuf.ByteString bytes) {}

    private static List<Field> fields(com.google.protobuf.ByteString message) {
      List<Field> out = new ArrayList<>();
      try {
        com.google.protobuf.CodedInputStream in = message.newCodedInput();
        in.enableAliasing(true);
        int tag;
        while ((tag = in.readTag()) != 0) {
          int number = com.google.protobuf.WireFormat.getTagFieldNumber(tag);
          switch (com.google.protobuf.WireFormat.getTagWireType(tag)) {
            case com.google.protobuf.WireFormat.WIRETYPE_VARINT -> out.add(new Field(number, in.readUInt64(), null));
            case com.google.protobuf.WireFormat.WIRETYPE_LENGTH_DELIMITED ->
                out.add(new Field(number, 0, in.readBytes()));
            default -> in.skipField(tag);
          }
        }
      } catch (java.io.IOException e) {
        throw new IllegalStateException("malformed resource from the server", e);
      }
      return out;
    }

    /** Fails unless the wire reading agrees with the generated parsers on every cluster and listener of {@code r}. */
    static void check(ProxyResources r) throws InvalidProtocolBufferException {
      for (Message m : r.of(CDS).values()) {
        Cluster c = (Cluster) m;
        String full = c.getType() != Cluster.DiscoveryType.EDS ? null
            : c.getEdsClusterConfig().getServiceName().isEmpty() ? c.getName()
            : c.getEdsClusterConfig().getServiceName();
        String scanned = edsServiceName(c.toByteString());
        if (!java.util.Objects.equals(full, scanned)) {
          throw new IllegalStateException("wire scan of cluster " + c.getName() + ": " + scanned + " != " + full);
        }
      }
      for (Message m : r.of(LDS).values()) {
        Listener l = (Listener) m;
        List<String> full = new ArrayList<>();
        for (FilterChain fc : l.getFilterChainsList()) {
          for (Filter f : fc.getFiltersList()) {
            if (f.getTypedConfig().is(HttpConnectionManager.class)) {
              HttpConnectionManager hcm = f.getTypedConfig().unpack(HttpConnectionManager.class);
              if (hcm.hasRds()) {
                full.add(hcm.getRds().getRouteConfigName());
              }
            }
          }
        }
        if (l.hasApiListener() && l.getApiListener().getApiListener().is(HttpConnectionManager.class)) {
          HttpConnectionManager hcm = l.getApiListener().getApiListener().unpack(HttpConnectionManager.class);
          if (hcm.hasRds()) {
            full.add(hcm.getRds().getRouteConfigName());
          }
        }
        List<String> scanned = routeNames(l.toByteString());
        if (!full.equals(scanned)) {
          throw new IllegalStateException("wire scan of listener " + l.getName() + ": " + scanned + " != " + full);
        }
      }
    }
  }

  private XdsServerBenchmark() {}
}
