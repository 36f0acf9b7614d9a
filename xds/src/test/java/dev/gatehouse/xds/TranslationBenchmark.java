package dev.gatehouse.xds;

import dev.gatehouse.api.istio.networking.v1alpha3.ClientTLSSettings;
import dev.gatehouse.api.istio.networking.v1alpha3.DestinationRule;
import dev.gatehouse.api.istio.networking.v1alpha3.TrafficPolicy;
import dev.gatehouse.api.istio.security.v1beta1.AuthorizationPolicy;
import dev.gatehouse.api.istio.security.v1beta1.Operation;
import dev.gatehouse.api.istio.security.v1beta1.PeerAuthentication;
import dev.gatehouse.api.istio.security.v1beta1.Rule;
import dev.gatehouse.api.istio.security.v1beta1.Source;
import dev.gatehouse.api.istio.type.v1beta1.WorkloadSelector;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Translation benchmark (not a test; never fails on timing). A synthetic mesh of 1,000 services in 50 namespaces,
 * 2,000 sidecar workloads (two replicas per service), 10,000 AuthorizationPolicies (ten per service, with
 * principals, namespaces, paths and methods), namespace-wide STRICT in half the namespaces and an ISTIO_MUTUAL
 * DestinationRule for every tenth service. Measures:
 * <ol>
 *   <li>full translation: a fresh translator, every proxy's resources (sharing applies: replicas share one set);
 *   <li>incremental: one AuthorizationPolicy in one namespace changed, then every proxy asks again (only the proxies
 *       of that namespace are re-translated; the rest and all outbound resources are reused).
 * </ol>
 * Both are run twice: unscoped (Istio's default {@code defaultServiceExportTo: ["*"]}, every proxy gets all 1,000
 * services) and namespace-scoped ({@code defaultServiceExportTo: ["."]}, Istio's namespace isolation: each proxy gets
 * its namespace's 20 services); {@code -Dscoping=mesh} or {@code -Dscoping=namespace} runs only one.
 * Run: {@code cd /work/main && flock /tmp/gatehouse-mvn.lock ./mvnw -B -o -q install -pl xds -am -DskipTests &&
 * ./mvnw -B -o -q -pl xds exec:java ...} is not wired; use the surefire entry point instead:
 * {@code ./mvnw -B -o -q test -pl xds -Dtest=TranslationBenchmark -Dsurefire.failIfNoSpecifiedTests=false
 * -Dbenchmark=true} (the class is excluded from normal runs by its name; the explicit -Dtest selects it).
 */
public final class TranslationBenchmark {
  static final int NAMESPACES = 50;
  static final int SERVICES = 1_000;
  static final int REPLICAS = 2;
  static final int POLICIES_PER_SERVICE = 10;

  @org.junit.jupiter.api.Test
  void run() {
    main(new String[0]);
  }

  public static void main(String[] args) {
    String only = System.getProperty("scoping", "both");
    if (!only.equals("namespace")) {
      run("unscoped (defaultServiceExportTo [\"*\"], Istio's default: every proxy sees all 1,000 services)",
          MeshConfig.defaults());
    }
    if (!only.equals("mesh")) {
      run("namespace-scoped (defaultServiceExportTo [\".\"]: each proxy sees its namespace's 20 services)",
          MeshConfig.defaults().withDefaultServiceExportTo(List.of(".")));
    }
  }

  private static final java.lang.management.ThreadMXBean THREADS =
      java.lang.management.ManagementFactory.getThreadMXBean();

  static void run(String label, MeshConfig mesh) {
    MeshSnapshot snapshot = mesh(mesh, 1, 0);
    System.out.println("== " + label);
    System.out.println("mesh: " + snapshot.counts());
    List<ProxyIdentity> proxies = new ArrayList<>();
    for (Workload w : snapshot.workloads().values()) {
      proxies.add(new ProxyIdentity(ProxyKind.SIDECAR, w.key(), w.ip(), w.namespace(), w.serviceAccount(), w.labels()));
    }
    TranslationOptions options = TranslationOptions.defaults();
    // Warm-up (JIT), then measured rounds on fresh translators.
    for (int i = 0; i < 3; i++) {
      full(snapshot, proxies, options);
    }
    long best = Long.MAX_VALUE;
    long bestCpu = Long.MAX_VALUE;
    long sum = 0;
    int rounds = 5;
    SnapshotTranslator translator = null;
    for (int i = 0; i < rounds; i++) {
      long c0 = THREADS.getCurrentThreadCpuTime();
      long t0 = System.nanoTime();
      translator = full(snapshot, proxies, options);
      long t = System.nanoTime() - t0;
      bestCpu = Math.min(bestCpu, THREADS.getCurrentThreadCpuTime() - c0);
      best = Math.min(best, t);
      sum += t;
    }
    // CPU time of the translating thread: less sensitive to other processes on a shared machine than wall time.
    System.out.printf("full translation, %d proxies, one thread: best %.0f ms, mean %.0f ms (best thread CPU time"
        + " %.0f ms)%n", proxies.size(), best / 1e6, sum / 1e6 / rounds, bestCpu / 1e6);
    long bestParallel = Long.MAX_VALUE;
    for (int i = 0; i < rounds; i++) {
      long t0 = System.nanoTime();
      SnapshotTranslator t = new SnapshotTranslator(options, AuthorizationFilters.forMesh(options));
      proxies.parallelStream().forEach(p -> t.generate(snapshot, p));
      bestParallel = Math.min(bestParallel, System.nanoTime() - t0);
    }
    System.out.printf("full translation, %d proxies, parallel on %d cores: best %.0f ms%n",
        proxies.size(), Runtime.getRuntime().availableProcessors(), bestParallel / 1e6);
    long authzBest = Long.MAX_VALUE;
    long noAuthzBest = Long.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      long t0 = System.nanoTime();
      AuthorizationFilters.forMesh(options).apply(snapshot).errors();
      authzBest = Math.min(authzBest, System.nanoTime() - t0);
      t0 = System.nanoTime();
      SnapshotTranslator none = new SnapshotTranslator(options, s -> InboundPolicySource.NONE);
      for (ProxyIdentity p : proxies) {
        none.generate(snapshot, p);
      }
      noAuthzBest = Math.min(noAuthzBest, System.nanoTime() - t0);
    }
    System.out.printf("  of which: building the authz filters of the snapshot (InboundPolicyFilters.build) %.0f ms;"
        + " translation without authz filters %.0f ms%n", authzBest / 1e6, noAuthzBest / 1e6);
    long resources = 0;
    java.util.Set<ProxyResources> distinct = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    for (ProxyIdentity p : proxies) {
      ProxyResources r = translator.generate(snapshot, p);
      distinct.add(r);
      for (Map<String, ?> m : r.resourcesByType().values()) {
        resources += m.size();
      }
    }
    System.out.printf("resources per proxy (mean): %d; distinct resource sets: %d for %d proxies%n",
        resources / proxies.size(), distinct.size(), proxies.size());

    long bestInc = Long.MAX_VALUE;
    long sumInc = 0;
    MeshSnapshot current = snapshot;
    for (int i = 0; i < 10; i++) {
      MeshSnapshot changed = mesh(mesh, current.version() + 1, i + 1);
      long t0 = System.nanoTime();
      for (ProxyIdentity p : proxies) {
        translator.generate(changed, p);
      }
      long t = System.nanoTime() - t0;
      current = changed;
      if (i >= 3) {
        bestInc = Math.min(bestInc, t);
        sumInc += t;
      }
    }
    System.out.printf("incremental (one namespace AuthorizationPolicy changed), all %d proxies re-asked: best %.1f ms,"
        + " mean %.1f ms%n", proxies.size(), bestInc / 1e6, sumInc / 1e6 / 7);
  }

  static SnapshotTranslator full(MeshSnapshot snapshot, List<ProxyIdentity> proxies, TranslationOptions options) {
    SnapshotTranslator t = new SnapshotTranslator(options, AuthorizationFilters.forMesh(options));
    for (ProxyIdentity p : proxies) {
      t.generate(snapshot, p);
    }
    return t;
  }

  private static final Map<MeshConfig, MeshSnapshot> BASES = new java.util.HashMap<>();

  /** The synthetic mesh with the default MeshConfig; {@code change > 0} rewrites one AuthorizationPolicy of ns-7. */
  static MeshSnapshot mesh(long version, int change) {
    return mesh(MeshConfig.defaults(), version, change);
  }

  /** The synthetic mesh under {@code mesh}; {@code change > 0} rewrites one AuthorizationPolicy of namespace ns-7. */
  static synchronized MeshSnapshot mesh(MeshConfig mesh, long version, int change) {
    MeshSnapshot base = BASES.computeIfAbsent(mesh, TranslationBenchmark::build);
    if (change == 0) {
      return base;
    }
    MeshSnapshot.Builder b = base.toBuilder(version);
    b.authorizationPolicy(policy("ns-7", "svc-140-p0", "svc-140", change));
    return b.build();
  }

  private static MeshSnapshot build(MeshConfig mesh) {
    MeshSnapshot.Builder b = MeshSnapshot.builder(1, mesh);
    b.namespace(new NamespaceInfo(ResourceMeta.of("Namespace", "", "istio-system")));
    int perNs = SERVICES / NAMESPACES;
    int ip = 0;
    for (int n = 0; n < NAMESPACES; n++) {
      String ns = "ns-" + n;
      b.namespace(new NamespaceInfo(ResourceMeta.of("Namespace", "", ns)));
      if (n % 2 == 0) {
        b.peerAuthentication(new Policy<>(PolicyKind.PEER_AUTHENTICATION, meta("PeerAuthentication", ns, "default"),
            PeerAuthentication.newBuilder().setMtls(PeerAuthentication.MutualTLS.newBuilder()
                .setMode(PeerAuthentication.MutualTLS.Mode.STRICT)).build()));
      }
      for (int s = 0; s < perNs; s++) {
        int id = n * perNs + s;
        String svc = "svc-" + id;
        List<EndpointSliceInfo.Endpoint> endpoints = new ArrayList<>();
        for (int r = 0; r < REPLICAS; r++) {
          ip++;
          String podIp = "127." + (1 + ip / 65536) + "." + ((ip / 256) % 256) + "." + (ip % 256);
          String pod = svc + "-" + r;
          Map<String, String> labels = Map.of("app", svc, "version", "v1", "security.istio.io/tlsMode", "istio");
          b.workload(new Workload(new ResourceMeta("v1", "Pod", ns, pod, Instant.EPOCH, "", labels, Map.of(), ""),
              svc, podIp, List.of(new ContainerPort("http", 8080, "TCP"), new ContainerPort("grpc", 9090, "TCP")),
              true, false));
          endpoints.add(new EndpointSliceInfo.Endpoint(List.of(podIp), true, pod, "", "zone-" + (r % 3), 1));
        }
        String clusterIp = "127.200." + (id / 256) + "." + (id % 256);
        b.service(new ServiceInfo(ResourceMeta.of("Service", ns, svc), svc + "." + ns + ".svc.cluster.local",
            List.of(new ServicePort("http-web", 80, "TCP", "", 8080, ""), new ServicePort("grpc-api", 9090, "TCP", "", 9090, "")),
            Map.of("app", svc), clusterIp));
        b.endpointSlice(new EndpointSliceInfo(ResourceMeta.of("EndpointSlice", ns, svc + "-abc"), svc,
            List.of(new EndpointSliceInfo.Port("http-web", 8080, "TCP", ""), new EndpointSliceInfo.Port("grpc-api", 9090, "TCP", "")),
            endpoints));
        for (int p = 0; p < POLICIES_PER_SERVICE; p++) {
          b.authorizationPolicy(policy(ns, svc + "-p" + p, svc, p));
        }
        if (id % 10 == 0) {
          b.destinationRule(new Policy<>(PolicyKind.DESTINATION_RULE, meta("DestinationRule", ns, svc),
              DestinationRule.newBuilder().setHost(svc).setTrafficPolicy(TrafficPolicy.newBuilder()
                  .setTls(ClientTLSSettings.newBuilder().setMode(ClientTLSSettings.TLSmode.ISTIO_MUTUAL))).build()));
        }
      }
    }
    return b.build();
  }

  private static ResourceMeta meta(String kind, String ns, String name) {
    return new ResourceMeta("v1", kind, ns, name, Instant.EPOCH, "", Map.of(), Map.of(), "");
  }

  private static Policy<AuthorizationPolicy> policy(String ns, String name, String app, int variant) {
    AuthorizationPolicy.Builder ap = AuthorizationPolicy.newBuilder()
        .setSelector(WorkloadSelector.newBuilder().putMatchLabels("app", app))
        .setAction(variant % 5 == 4 ? AuthorizationPolicy.Action.DENY : AuthorizationPolicy.Action.ALLOW)
        .addRules(Rule.newBuilder()
            .addFrom(Rule.From.newBuilder().setSource(Source.newBuilder()
                .addPrincipals("cluster.local/ns/" + ns + "/sa/client-" + variant)
                .addNamespaces("ns-" + (variant % NAMESPACES))))
            .addTo(Rule.To.newBuilder().setOperation(Operation.newBuilder()
                .addPaths("/api/v" + variant + "/*")
                .addMethods("GET")
                .addPorts("8080"))));
    return new Policy<>(PolicyKind.AUTHORIZATION_POLICY, meta("AuthorizationPolicy", ns, name), ap.build());
  }

  static ObjectKey key(String ns, String name) {
    return ObjectKey.of(ns, name);
  }
}
