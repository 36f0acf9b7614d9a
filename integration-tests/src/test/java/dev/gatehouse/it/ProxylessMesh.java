package dev.gatehouse.it;

import dev.gatehouse.it.agent.CaEndpoint;
import dev.gatehouse.it.agent.ForeignCertificateAuthority;
import dev.gatehouse.it.agent.GrpcXdsBootstrap;
import dev.gatehouse.it.agent.WorkloadAgent;
import dev.gatehouse.it.agent.WorkloadIdentity;
import dev.gatehouse.it.agent.XdsProxy;
import dev.gatehouse.it.cluster.GatehouseUnderTest;
import dev.gatehouse.it.cluster.MeshCluster;
import dev.gatehouse.it.cluster.MeshPod;
import dev.gatehouse.it.cluster.ServiceAccountTokenIssuer;
import dev.gatehouse.it.workload.WorkloadProcess;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One Gatehouse on one mock cluster, plus the fake pods a test class starts on it: each pod gets a loopback IP, a
 * Pod object, a {@link WorkloadAgent} that obtains its certificate from Gatehouse's CA with the pod's
 * service-account token, the agent's {@link XdsProxy} on the pod's address (forwarding the app's xDS to Gatehouse's
 * secure port with that certificate, as istio-agent does), a grpc bootstrap pointing at the proxy, and its
 * application JVM. A pod can instead read xDS straight from the plaintext port ({@link XdsPath#PLAINTEXT}), for
 * scenarios about the data plane's own checks. Share one per test class; isolate tests by namespace. Closing stops
 * every workload, then Gatehouse, then the API server.
 */
public final class ProxylessMesh implements AutoCloseable {
  public static final String TRUST_DOMAIN = "cluster.local";
  public static final String CLUSTER_DOMAIN = "cluster.local";
  public static final List<String> CA_AUDIENCES = List.of("istio-ca");
  /** How often the agent's xDS proxy looks for a rotated certificate (grpc's file watcher in the bootstraps: 1 s). */
  public static final Duration PROXY_POLL = Duration.ofMillis(500);

  /** Where a pod's application reads xDS from. */
  public enum XdsPath {
    /** Its agent's {@link XdsProxy} on the pod address, which forwards to the secure port over mTLS (default). */
    AGENT_PROXY,
    /** Gatehouse's plaintext port (15010) directly, unauthenticated, as istiod also serves it. */
    PLAINTEXT
  }

  private final Path workDir;
  private final MeshCluster cluster;
  private final ServiceAccountTokenIssuer tokens;
  private final GatehouseUnderTest gatehouse;
  private final AtomicInteger nextIp = new AtomicInteger();
  private final List<AutoCloseable> running = new CopyOnWriteArrayList<>();

  private ProxylessMesh(Path workDir, MeshCluster cluster, ServiceAccountTokenIssuer tokens, GatehouseUnderTest gatehouse) {
    this.workDir = workDir;
    this.cluster = cluster;
    this.tokens = tokens;
    this.gatehouse = gatehouse;
  }

  public static ProxylessMesh start(Path workDir, Map<String, String> gatehouseProperties)
      throws IOException, GeneralSecurityException {
    MeshCluster cluster = MeshCluster.start();
    ServiceAccountTokenIssuer tokens = new ServiceAccountTokenIssuer();
    tokens.serveOn(cluster.server());
    cluster.namespace(GatehouseUnderTest.CONTROL_PLANE_NAMESPACE, Map.of());
    try {
      GatehouseUnderTest gatehouse = GatehouseUnderTest.start(cluster, workDir.resolve("gatehouse-state"), gatehouseProperties);
      return new ProxylessMesh(workDir, cluster, tokens, gatehouse);
    } catch (RuntimeException | IOException e) {
      cluster.close();
      throw e;
    }
  }

  public MeshCluster cluster() {
    return cluster;
  }

  public GatehouseUnderTest gatehouse() {
    return gatehouse;
  }

  public ServiceAccountTokenIssuer tokens() {
    return tokens;
  }

  /** A namespace with a PeerAuthentication {@code default} setting its mTLS mode (null: none, mesh default applies). */
  public void namespace(String name, String mtlsMode) {
    cluster.namespace(name, Map.of("istio-injection", "enabled"));
    if (mtlsMode != null) {
      peerAuthentication(name, mtlsMode);
    }
  }

  public void peerAuthentication(String namespace, String mode) {
    cluster.apply("""
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: default, namespace: %s}
        spec:
          mtls: {mode: %s}
        """.formatted(namespace, mode));
  }

  /** A pod description with a fresh loopback IP; nothing is created yet. */
  public MeshPod pod(String namespace, String name, String serviceAccount, String app, int port) {
    int n = nextIp.getAndIncrement();
    String ip = "127.0." + (n / 200) + "." + (20 + n % 200);
    return new MeshPod(namespace, name, serviceAccount, ip, Map.of("app", app), port);
  }

  /** The {@code xds:///} target of a Service port. */
  public static String target(String namespace, String service, int port) {
    return "xds:///" + service + "." + namespace + ".svc." + CLUSTER_DOMAIN + ":" + port;
  }

  /**
   * Creates the pod, gets its certificate (synchronously, as a pod's app starts only after istio-agent wrote its
   * files), writes its bootstrap and launches its gRPC server JVM; returns without waiting for it to serve.
   */
  public Workload startServer(MeshPod pod, Duration certTtl) throws Exception {
    return startServer(pod, certTtl, pod.serviceAccount());
  }

  /** A server pod whose certificate is genuine but for {@code certServiceAccount}, not necessarily its own. */
  public Workload startServer(MeshPod pod, Duration certTtl, String certServiceAccount) throws Exception {
    return startServer(pod, certTtl, certServiceAccount, WorkloadAgent.RootSource.PINNED);
  }

  /**
   * A server pod whose agent installs roots as {@code roots} says; {@link WorkloadAgent.RootSource#CA_ANSWER} follows a
   * CA root rotation as istio-agent does (trust re-read from the namespace's {@code istio-ca-root-cert} ConfigMap).
   */
  public Workload startServer(MeshPod pod, Duration certTtl, WorkloadAgent.RootSource roots) throws Exception {
    return startServer(pod, certTtl, pod.serviceAccount(), roots);
  }

  private Workload startServer(MeshPod pod, Duration certTtl, String certServiceAccount, WorkloadAgent.RootSource roots)
      throws Exception {
    cluster.pod(pod);
    WorkloadAgent agent = agent(pod, certTtl, certServiceAccount, roots);
    XdsProxy proxy = xdsProxy(pod, agent.certificateDir());
    Path bootstrap = bootstrap(pod, proxy.address(), agent.certificateDir());
    WorkloadProcess process = WorkloadProcess.server(pod.name(), bootstrap, pod.ip(), pod.port());
    return track(new Workload(pod, agent, proxy, process));
  }

  /** Like {@link #startServer} for a client JVM with an {@code xds:///} channel to {@code target}. */
  public Workload startClient(MeshPod pod, String target, Duration certTtl) throws Exception {
    return startClient(pod, target, certTtl, pod.serviceAccount());
  }

  /**
   * A client pod whose agent holds the token of {@code certServiceAccount} (not necessarily the pod's own), so its
   * certificate is genuine, from the mesh CA, but may name another identity than the pod claims.
   */
  public Workload startClient(MeshPod pod, String target, Duration certTtl, String certServiceAccount) throws Exception {
    return startClient(pod, target, certTtl, certServiceAccount, XdsPath.AGENT_PROXY);
  }

  /** {@link #startClient(MeshPod, String, Duration, String)} with the xDS path chosen. */
  public Workload startClient(MeshPod pod, String target, Duration certTtl, String certServiceAccount, XdsPath xds)
      throws Exception {
    return startClient(pod, target, certTtl, certServiceAccount, xds, WorkloadAgent.RootSource.PINNED);
  }

  /** A client pod whose agent installs roots as {@code roots} says (see {@link #startServer(MeshPod, Duration, WorkloadAgent.RootSource)}). */
  public Workload startClient(MeshPod pod, String target, Duration certTtl, WorkloadAgent.RootSource roots)
      throws Exception {
    return startClient(pod, target, certTtl, pod.serviceAccount(), XdsPath.AGENT_PROXY, roots);
  }

  private Workload startClient(MeshPod pod, String target, Duration certTtl, String certServiceAccount, XdsPath xds,
      WorkloadAgent.RootSource roots) throws Exception {
    cluster.pod(pod);
    WorkloadAgent agent = agent(pod, certTtl, certServiceAccount, roots);
    XdsProxy proxy = xds == XdsPath.AGENT_PROXY ? xdsProxy(pod, agent.certificateDir()) : null;
    Path bootstrap = bootstrap(pod, proxy == null ? gatehouse.plaintextXdsAddress() : proxy.address(),
        agent.certificateDir());
    WorkloadProcess process = WorkloadProcess.client(pod.name(), bootstrap, target);
    return track(new Workload(pod, agent, proxy, process));
  }

  /**
   * A client pod whose certificate files hold an SVID for its own identity signed by {@code foreignCa} instead of
   * the mesh CA (it still trusts the mesh root, so only the server's check can refuse it). Its xDS comes from the
   * plaintext port: through the agent proxy Gatehouse would refuse the foreign certificate before any config.
   */
  public Workload startClientWithForeignCertificate(MeshPod pod, String target, ForeignCertificateAuthority foreignCa)
      throws Exception {
    cluster.pod(pod);
    Path certs = podDir(pod).resolve("certs");
    String meshRoot = gatehouse.rootCertFor(pod.namespace(), Duration.ofSeconds(20));
    foreignCa.installSvidTrustingMesh(identity(pod), certs, meshRoot);
    Path bootstrap = bootstrap(pod, gatehouse.plaintextXdsAddress(), certs);
    return track(new Workload(pod, null, null, WorkloadProcess.client(pod.name(), bootstrap, target)));
  }

  /**
   * A gRPC C-core (python3-grpcio) xDS server pod serving every port in {@code ports} on its IP, behind its agent's
   * xDS proxy like the grpc-java pods. {@code createPod=false} for a pod already in the cluster (the examples mesh).
   */
  public Workload startCcoreServer(MeshPod pod, Duration certTtl, List<Integer> ports, boolean createPod)
      throws Exception {
    String portList = String.join(",", ports.stream().map(String::valueOf).toList());
    return startCcore(pod, certTtl, createPod, List.of("server", pod.name(), pod.ip(), portList));
  }

  /** A gRPC C-core client pod with an {@code xds:///} channel to {@code target}, behind its agent's xDS proxy. */
  public Workload startCcoreClient(MeshPod pod, String target, Duration certTtl) throws Exception {
    return startCcore(pod, certTtl, true, List.of("client", target));
  }

  /**
   * A grpc-js ({@code @grpc/grpc-js-xds}) xDS server pod serving every port in {@code ports} on its IP, behind its
   * agent's xDS proxy like the grpc-java and C-core pods.
   */
  public Workload startGrpcJsServer(MeshPod pod, Duration certTtl, List<Integer> ports) throws Exception {
    String portList = String.join(",", ports.stream().map(String::valueOf).toList());
    List<String> args = List.of("server", pod.name(), pod.ip(), portList);
    return startExternal(pod, certTtl, true, bootstrap -> WorkloadProcess.grpcJs(pod.name(), bootstrap, args));
  }

  /** A grpc-js client pod with an {@code xds:///} channel to {@code target}, behind its agent's xDS proxy. */
  public Workload startGrpcJsClient(MeshPod pod, String target, Duration certTtl) throws Exception {
    return startExternal(pod, certTtl, true,
        bootstrap -> WorkloadProcess.grpcJs(pod.name(), bootstrap, List.of("client", target)));
  }

  private Workload startCcore(MeshPod pod, Duration certTtl, boolean createPod, List<String> args) throws Exception {
    return startExternal(pod, certTtl, createPod, bootstrap -> WorkloadProcess.ccore(pod.name(), bootstrap, args));
  }

  /** A pod whose application is not a grpc-java JVM: same agent, proxy and bootstrap, its own launcher. */
  private Workload startExternal(MeshPod pod, Duration certTtl, boolean createPod,
      java.util.function.Function<Path, WorkloadProcess> launch) throws Exception {
    if (createPod) {
      cluster.pod(pod);
    }
    WorkloadAgent agent = agent(pod, certTtl, pod.serviceAccount());
    XdsProxy proxy = xdsProxy(pod, agent.certificateDir());
    Path bootstrap = bootstrap(pod, proxy.address(), agent.certificateDir());
    return track(new Workload(pod, agent, proxy, launch.apply(bootstrap)));
  }

  public WorkloadAgent agent(MeshPod pod, Duration certTtl) throws Exception {
    return agent(pod, certTtl, pod.serviceAccount());
  }

  private WorkloadAgent agent(MeshPod pod, Duration certTtl, String serviceAccount) throws Exception {
    return agent(pod, certTtl, serviceAccount, WorkloadAgent.RootSource.PINNED);
  }

  private WorkloadAgent agent(MeshPod pod, Duration certTtl, String serviceAccount, WorkloadAgent.RootSource roots)
      throws Exception {
    CaEndpoint ca = new CaEndpoint("127.0.0.1", gatehouse.securePort(), GatehouseUnderTest.CA_AUTHORITY,
        gatehouse.rootCertFor(pod.namespace(), Duration.ofSeconds(20)));
    WorkloadAgent agent = new WorkloadAgent(
        new WorkloadIdentity(TRUST_DOMAIN, pod.namespace(), serviceAccount), ca,
        () -> tokens.mint(pod.namespace(), serviceAccount, CA_AUDIENCES, Duration.ofHours(1)),
        certTtl, podDir(pod).resolve("certs"), Clock.systemUTC(), roots,
        // The mounted istio-ca-root-cert ConfigMap, as kubelet keeps it current.
        () -> gatehouse.rootCertFor(pod.namespace(), Duration.ofSeconds(20)));
    try {
      agent.start();
    } catch (Exception e) {
      agent.close();
      throw e;
    }
    return agent;
  }

  /**
   * The pod agent's xDS proxy on the pod's address, presenting the certificate in {@code certificateDir} to Gatehouse's
   * secure port. For workloads started outside this class: point the bootstrap's {@code server_uri} at
   * {@link XdsProxy#address()} with {@code insecure} channel credentials; close it with the pod.
   */
  public XdsProxy xdsProxy(MeshPod pod, Path certificateDir) throws IOException {
    return XdsProxy.start(pod.name() + "." + pod.namespace(), pod.ip(), xdsUpstream(), certificateDir, PROXY_POLL);
  }

  /** Gatehouse's secure xDS port as the agent proxy dials it. */
  public XdsProxy.Upstream xdsUpstream() {
    return new XdsProxy.Upstream("127.0.0.1", gatehouse.securePort(), GatehouseUnderTest.CA_AUTHORITY);
  }

  public static WorkloadIdentity identity(MeshPod pod) {
    return new WorkloadIdentity(TRUST_DOMAIN, pod.namespace(), pod.serviceAccount());
  }

  private Path bootstrap(MeshPod pod, String xdsServer, Path certificateDir) throws IOException {
    return GrpcXdsBootstrap.forPod(xdsServer, pod.name(), pod.namespace(), pod.ip(),
            pod.serviceAccount(), pod.labels(), CLUSTER_DOMAIN, certificateDir)
        .writeTo(podDir(pod).resolve("bootstrap.json"));
  }

  private Path podDir(MeshPod pod) {
    return workDir.resolve("pods").resolve(pod.namespace()).resolve(pod.name());
  }

  private Workload track(Workload w) {
    running.add(w);
    return w;
  }

  @Override
  public void close() {
    for (AutoCloseable c : running) {
      try {
        c.close();
      } catch (Exception e) {
        // best effort: keep closing the rest
      }
    }
    try {
      gatehouse.close();
    } finally {
      cluster.close();
    }
  }

  /**
   * A running fake pod: its description, its agent (null when its certificate did not come from the mesh CA), the
   * agent's xDS proxy (null when the app reads the plaintext port), its JVM.
   */
  public record Workload(MeshPod pod, WorkloadAgent agent, XdsProxy xdsProxy, WorkloadProcess process)
      implements AutoCloseable {
    @Override
    public void close() {
      process.close();
      if (xdsProxy != null) {
        xdsProxy.close();
      }
      if (agent != null) {
        agent.close();
      }
    }
  }
}
