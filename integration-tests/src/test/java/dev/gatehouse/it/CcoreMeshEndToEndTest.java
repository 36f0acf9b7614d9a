package dev.gatehouse.it;

import static dev.gatehouse.it.Convergence.deniedCall;
import static dev.gatehouse.it.Convergence.okCall;
import static dev.gatehouse.it.Convergence.until;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.gatehouse.it.ProxylessMesh.Workload;
import dev.gatehouse.it.cluster.KindEndpointSlices;
import dev.gatehouse.it.cluster.MeshPod;
import dev.gatehouse.it.workload.CallResult;
import dev.gatehouse.it.workload.Echo;
import dev.gatehouse.it.workload.PlaintextCaller;
import dev.gatehouse.it.workload.WorkloadProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The second data plane: gRPC C-core (Debian's python3-grpcio at /usr/bin/python3) against Gatehouse, C-core client
 * and server workloads and mixed pairs with grpc-java (C-core client -> grpc-java server, grpc-java client -> C-core
 * server). Every workload reads xDS through its agent's {@code XdsProxy} from Gatehouse's secure port, authenticated
 * by its certificate; its mTLS certificates are Gatehouse-CA files read by the {@code file_watcher} provider.
 *
 * <p>The mesh is shaped as users' clusters are: a Service with two ports, one with a named {@code targetPort}
 * ({@code grpc}, resolved through the pod's container port, a different number than the Service port) and one
 * numeric, and EndpointSlices exactly as kind's endpoint-slice controller writes them ({@link KindEndpointSlices}: no
 * zone, no hints, no hostname, placeholder slice without ports when empty).
 *
 * <p>One namespace and one set of workloads for the whole class (starting them is most of the cost); the scenarios
 * run in order on the same live connections. After every scenario a NACK watcher reads Gatehouse's own
 * {@code /debug/syncz} and {@code /metrics}: any NACK (a stream's {@code lastNack}, a {@code pilot_xds_*_reject}
 * series, {@code pilot_total_xds_rejects} above zero) fails the test, and every type every proxy was sent must be
 * ACKed at the version sent.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CcoreMeshEndToEndTest {
  private static final String NS = "ccore";
  private static final Duration TTL = Duration.ofHours(1);
  private static final Duration CONVERGE = Convergence.CONVERGE;
  private static final int CC_GRPC_PORT = 7070;       // Service port "grpc", targetPort "grpc" -> container 8080
  private static final int CC_ADMIN_PORT = 9090;      // Service port "grpc-admin", targetPort 9091 (numeric)
  private static final int JAVA_PORT = 8080;
  private static final List<String> XDS_TYPES = NackWatcher.XDS_TYPES;

  @TempDir static Path work;
  private static ProxylessMesh mesh;
  private static KindEndpointSlices kind;
  private static Workload ccServer;
  private static Workload javaServer;
  private static Workload ccFrontend;
  private static Workload ccOther;
  private static Workload javaFrontend;
  private static int nextIp;

  @BeforeAll
  static void start() throws Exception {
    requireCcore();
    long t0 = System.nanoTime();
    mesh = ProxylessMesh.start(work, Map.of());
    assertThat(mesh.gatehouse().adsServerReceivesSnapshots(Duration.ofSeconds(10))).isTrue();
    kind = new KindEndpointSlices(mesh.cluster());
    mesh.namespace(NS, "STRICT");
    kind.service(NS, "echo-cc", "echo-cc", List.of(
        new KindEndpointSlices.Port("grpc", CC_GRPC_PORT, "grpc", "grpc"),
        new KindEndpointSlices.Port("grpc-admin", CC_ADMIN_PORT, "9091", null)));
    kind.service(NS, "echo-java", "echo-java", List.of(
        new KindEndpointSlices.Port("grpc", JAVA_PORT, "grpc", null)));
    kind.write(NS, "echo-cc", List.of());     // the controller's placeholder before any pod is ready
    kind.write(NS, "echo-java", List.of());

    ccServer = mesh.startCcoreServer(pod("echo-cc-0", "echo-cc", "echo-cc", 8080), TTL, List.of(8080, 9091), true);
    javaServer = mesh.startServer(pod("echo-java-0", "echo-java", "echo-java", JAVA_PORT), TTL);
    ccServer.process().expectLine("STARTED", CONVERGE);
    kind.write(NS, "echo-cc", List.of(ccServer.pod()));
    kind.write(NS, "echo-java", List.of(javaServer.pod()));
    ccFrontend = mesh.startCcoreClient(pod("cc-frontend-0", "frontend", "cc-frontend", 0), ccTarget(), TTL);
    ccOther = mesh.startCcoreClient(pod("cc-other-0", "other", "cc-other", 0), ccTarget(), TTL);
    javaFrontend = mesh.startClient(pod("java-frontend-0", "frontend-java", "java-frontend", 0), ccTarget(), TTL);
    javaServer.process().expectLine("SERVING", CONVERGE);
    for (Workload c : List.of(ccFrontend, ccOther, javaFrontend)) {
      c.process().expectLine("READY", CONVERGE);
    }
    System.out.printf("CCORE: mesh and 5 workloads (3 C-core, 2 grpc-java) started in %d ms%n",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
  }

  @AfterAll
  static void stop() {
    if (mesh != null) {
      mesh.close();
    }
  }

  /** Under CI=true a missing C-core is a failure; elsewhere the class is skipped with the reason. */
  private static void requireCcore() throws Exception {
    String problem;
    try {
      Process p = new ProcessBuilder(WorkloadProcess.SYSTEM_PYTHON.toString(), "-I", "-c",
          "import grpc; print(grpc.__version__)").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      problem = p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0 ? null : out;
      if (problem == null) {
        System.out.println("CCORE: python3-grpcio " + out);
      }
    } catch (java.io.IOException e) {
      problem = e.toString();
    }
    if (problem != null) {
      String why = WorkloadProcess.SYSTEM_PYTHON + " cannot import grpc (apt-get install python3-grpcio): " + problem;
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        fail("CI=true: gRPC C-core is required: " + why);
      }
      Assumptions.abort(why);
    }
  }

  // ---- fixtures -------------------------------------------------------------------------------------------------

  private static MeshPod pod(String name, String sa, String app, int port) {
    // Own address range (127.0.3.x), clear of ProxylessMesh.pod's and of the examples mesh's addresses.
    return new MeshPod(NS, name, sa, "127.0.3." + (10 + nextIp++), Map.of("app", app), port);
  }

  private static String ccTarget() {
    return ProxylessMesh.target(NS, "echo-cc", CC_GRPC_PORT);
  }

  private static String spiffe(String sa) {
    return "spiffe://" + ProxylessMesh.TRUST_DOMAIN + "/ns/" + NS + "/sa/" + sa;
  }

  // ---- the NACK watcher -----------------------------------------------------------------------------------------

  /** After every scenario: no NACK anywhere, every type every stream was sent ACKed at the version sent. */
  @AfterEach
  void everyResourceAckedByEveryClient(TestInfo test) throws Exception {
    if (mesh != null) {
      new NackWatcher(mesh.gatehouse()).assertEverythingAcked(test.getDisplayName());
    }
  }

  private static Map<String, String> ackedTypes(Workload w) throws Exception {
    return new NackWatcher(mesh.gatehouse()).ackedTypes(w.pod());
  }

  // ---- scenarios ------------------------------------------------------------------------------------------------

  @Test
  @Order(1)
  void xdsResolutionAndMtlsAcrossCcoreAndGrpcJava() throws Exception {
    // C-core client -> C-core server: xds:/// over LDS/RDS/CDS/EDS, mTLS with Gatehouse-CA file_watcher certificates.
    CallResult cc = okCall(ccFrontend.process(), "Call");
    assertThat(cc.pod()).isEqualTo("echo-cc-0");
    assertThat(cc.fields()).containsEntry("port", "8080");  // Service port 7070, named targetPort grpc -> 8080
    assertThat(cc.peerSeenByServer()).isEqualTo(spiffe("frontend"));
    assertThat(cc.peerSerialSeenByServer()).isEqualTo(ccFrontend.agent().current().serialHex());
    // The second Service port, numeric targetPort.
    CallResult admin = until(() -> ccFrontend.process().callTo(ProxylessMesh.target(NS, "echo-cc", CC_ADMIN_PORT),
        "Call"), CallResult::ok);
    assertThat(admin.ok()).as(admin.raw()).isTrue();
    assertThat(admin.fields()).containsEntry("port", "9091");
    assertThat(admin.peerSeenByServer()).isEqualTo(spiffe("frontend"));

    // C-core client -> grpc-java server.
    CallResult toJava = until(() -> ccFrontend.process().callTo(ProxylessMesh.target(NS, "echo-java", JAVA_PORT),
        "Call"), CallResult::ok);
    assertThat(toJava.ok()).as(toJava.raw()).isTrue();
    assertThat(toJava.pod()).isEqualTo("echo-java-0");
    assertThat(toJava.peerSeenByServer()).isEqualTo(spiffe("frontend"));
    assertThat(toJava.peerSerialSeenByServer()).isEqualTo(ccFrontend.agent().current().serialHex());

    // grpc-java client -> C-core server; the client saw the C-core server's certificate.
    CallResult fromJava = okCall(javaFrontend.process(), "Call");
    assertThat(fromJava.pod()).isEqualTo("echo-cc-0");
    assertThat(fromJava.peerSeenByServer()).isEqualTo(spiffe("frontend-java"));
    assertThat(fromJava.fields()).containsEntry("server", spiffe("echo-cc"))
        .containsEntry("serverSerial", ccServer.agent().current().serialHex());

    // STRICT: a plaintext caller is refused by the C-core server.
    try (PlaintextCaller plaintext = new PlaintextCaller(ccServer.pod().ip(), 8080)) {
      CallResult refused = plaintext.call(Echo.CALL);
      assertThat(refused.code()).as(refused.raw()).isEqualTo("UNAVAILABLE");
    }

    // Each C-core client holds all four types, ACKed; the C-core server its Listener(s); all through the agent
    // proxy, which presented the pod's certificate (cc-other has made no call yet: C-core resolves lazily).
    assertThat(ackedTypes(ccFrontend).keySet()).as("C-core client's ACKed types").containsAll(XDS_TYPES);
    assertThat(ackedTypes(ccServer).keySet()).as("C-core server's ACKed types").contains(XDS_TYPES.get(0));
    for (Workload w : List.of(ccServer, ccFrontend)) {
      assertThat(w.xdsProxy().presentedSerials()).as(w.pod().name()).contains(w.agent().current().serialHex());
    }
    System.out.println("CCORE 1: C-core client ACKed " + ackedTypes(ccFrontend) + "; C-core server ACKed "
        + ackedTypes(ccServer));
  }

  @Test
  @Order(2)
  void permissiveAdmitsPlaintextUntilStrictOnTheLiveConnection() throws Exception {
    mesh.peerAuthentication(NS, "PERMISSIVE");
    try (PlaintextCaller plaintext = new PlaintextCaller(ccServer.pod().ip(), 8080)) {
      CallResult plain = until(() -> plaintext.call(Echo.CALL), CallResult::ok);
      assertThat(plain.ok()).as(plain.raw()).isTrue();
      assertThat(plain.peerSeenByServer()).isEqualTo("none");
      okCall(ccFrontend.process(), "Call");
      okCall(javaFrontend.process(), "Call");

      long written = System.nanoTime();
      mesh.peerAuthentication(NS, "STRICT");
      CallResult refused = until(() -> plaintext.call(Echo.CALL), r -> !r.ok());
      System.out.printf("CCORE 2: C-core server refused plaintext %d ms after STRICT was written%n",
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - written));
      assertThat(refused.ok()).as(refused.raw()).isFalse();
    }
    CallResult mtls = until(() -> ccFrontend.process().call("Call"),
        r -> r.ok() && r.peerSeenByServer().equals(spiffe("frontend")));
    assertThat(mtls.peerSeenByServer()).as(mtls.raw()).isEqualTo(spiffe("frontend"));
    CallResult java = until(() -> javaFrontend.process().call("Call"),
        r -> r.ok() && r.peerSeenByServer().equals(spiffe("frontend-java")));
    assertThat(java.peerSeenByServer()).as(java.raw()).isEqualTo(spiffe("frontend-java"));
  }

  @Test
  @Order(3)
  void allowAndDenyByPrincipalPathAndMethod() throws Exception {
    String javaTarget = ProxylessMesh.target(NS, "echo-java", JAVA_PORT);
    // On the C-core server: ALLOW by principal + method + path, DENY by method + path, DENY by principal.
    mesh.cluster().apply("""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: cc-allow, namespace: %1$s}
        spec:
          selector: {matchLabels: {app: echo-cc}}
          action: ALLOW
          rules:
          - from:
            - source: {principals: ["cluster.local/ns/%1$s/sa/frontend", "cluster.local/ns/%1$s/sa/frontend-java"]}
            to:
            - operation: {methods: ["POST"], paths: ["/gatehouse.it.Echo/*"]}
        """.formatted(NS));
    mesh.cluster().apply("""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: cc-deny-admin, namespace: %s}
        spec:
          selector: {matchLabels: {app: echo-cc}}
          action: DENY
          rules:
          - to:
            - operation: {methods: ["POST"], paths: ["%s"]}
        """.formatted(NS, Echo.path(Echo.ADMIN)));
    // On the grpc-java server: ALLOW only the C-core frontend.
    mesh.cluster().apply("""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: java-allow, namespace: %1$s}
        spec:
          selector: {matchLabels: {app: echo-java}}
          action: ALLOW
          rules:
          - from:
            - source: {principals: ["cluster.local/ns/%1$s/sa/frontend"]}
        """.formatted(NS));

    try {
      policiesTakeEffect(javaTarget);
    } finally {
      for (String name : List.of("cc-allow", "cc-deny-admin", "cc-deny-java", "java-allow")) {
        mesh.cluster().delete("security.istio.io/v1", "AuthorizationPolicy", NS, name);
      }
    }
    okCall(ccFrontend.process(), "Admin");
    okCall(ccOther.process(), "Call");
    okCall(javaFrontend.process(), "Call");
  }

  private static void policiesTakeEffect(String javaTarget) {
    deniedCall(() -> ccOther.process().call("Call"), "C-core other -> C-core server (not an allowed principal)");
    deniedCall(() -> ccFrontend.process().call("Admin"), "C-core frontend Admin (DENY by method+path)");
    assertThat(ccFrontend.process().call("Call").ok()).isTrue();
    deniedCall(() -> javaFrontend.process().call("Admin"), "grpc-java frontend Admin on the C-core server");
    assertThat(javaFrontend.process().call("Call").ok()).isTrue();
    deniedCall(() -> ccOther.process().callTo(javaTarget, "Call"), "C-core other -> grpc-java server");
    // (grpc-java drains its connections when its Listener changes: the first call after may fail UNAVAILABLE.)
    CallResult toJava = until(() -> ccFrontend.process().callTo(javaTarget, "Call"), CallResult::ok);
    assertThat(toJava.ok()).as(toJava.raw()).isTrue();

    // DENY by principal, added on the live connections.
    mesh.cluster().apply("""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: cc-deny-java, namespace: %1$s}
        spec:
          selector: {matchLabels: {app: echo-cc}}
          action: DENY
          rules:
          - from:
            - source: {principals: ["cluster.local/ns/%1$s/sa/frontend-java"]}
        """.formatted(NS));
    deniedCall(() -> javaFrontend.process().call("Call"), "grpc-java frontend after DENY by its principal");
    assertThat(ccFrontend.process().call("Call").ok()).isTrue();

    // The ALLOW's method changed to GET (gRPC is always POST): the C-core server now refuses the frontend's calls
    // on its open connection.
    long written = System.nanoTime();
    mesh.cluster().apply("""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: cc-allow, namespace: %1$s}
        spec:
          selector: {matchLabels: {app: echo-cc}}
          action: ALLOW
          rules:
          - from:
            - source: {principals: ["cluster.local/ns/%1$s/sa/frontend"]}
            to:
            - operation: {methods: ["GET"], paths: ["/gatehouse.it.Echo/*"]}
        """.formatted(NS));
    deniedCall(() -> ccFrontend.process().call("Call"), "C-core frontend after ALLOW methods became GET");
    System.out.printf("CCORE 3: policy change -> C-core server denies on the live connection after %d ms%n",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - written));
  }

  @Test
  @Order(4)
  void emptySpecDeniesEverythingUntilDeleted() throws Exception {
    String javaTarget = ProxylessMesh.target(NS, "echo-java", JAVA_PORT);
    mesh.cluster().apply("""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: allow-nothing, namespace: %s}
        spec: {}
        """.formatted(NS));
    deniedCall(() -> ccFrontend.process().call("Call"), "C-core -> C-core under spec {}");
    deniedCall(() -> ccFrontend.process().callTo(javaTarget, "Call"), "C-core -> grpc-java under spec {}");
    deniedCall(() -> javaFrontend.process().call("Call"), "grpc-java -> C-core under spec {}");
    mesh.cluster().delete("security.istio.io/v1", "AuthorizationPolicy", NS, "allow-nothing");
    okCall(ccFrontend.process(), "Call");
    okCall(javaFrontend.process(), "Call");
    CallResult back = until(() -> ccFrontend.process().callTo(javaTarget, "Call"), CallResult::ok);
    assertThat(back.ok()).as(back.raw()).isTrue();
  }

  @Test
  @Order(5)
  void podChurnMovesClientsToTheNewEndpoint() throws Exception {
    Workload replacement = mesh.startCcoreServer(pod("echo-cc-1", "echo-cc", "echo-cc", 8080), TTL,
        List.of(8080, 9091), true);
    replacement.process().expectLine("STARTED", CONVERGE);
    Workload old = ccServer;
    // Added: both in the slice; the clients' round robin reaches the new one.
    kind.write(NS, "echo-cc", List.of(old.pod(), replacement.pod()));
    CallResult reached = until(() -> ccFrontend.process().call("Call"), r -> r.ok() && r.pod().equals("echo-cc-1"));
    assertThat(reached.pod()).as(reached.raw()).isEqualTo("echo-cc-1");
    assertThat(reached.peerSeenByServer()).isEqualTo(spiffe("frontend"));
    CallResult javaReached = until(() -> javaFrontend.process().call("Call"),
        r -> r.ok() && r.pod().equals("echo-cc-1"));
    assertThat(javaReached.pod()).as(javaReached.raw()).isEqualTo("echo-cc-1");

    // Removed: the old pod leaves the slice and the API server; every call now lands on the new one.
    kind.write(NS, "echo-cc", List.of(replacement.pod()));
    mesh.cluster().deletePod(old.pod());
    // Converged once each client's last 4 calls all reached the new pod (calls picked for the old pod while its
    // server stops serving fail UNAVAILABLE until EDS removes it: counted and printed, not asserted).
    int failedDuringChurn = 0;
    for (Workload c : List.of(ccFrontend, ccOther, javaFrontend)) {
      int streak = 0;
      long deadline = System.nanoTime() + CONVERGE.toNanos();
      while (streak < 4 && System.nanoTime() < deadline) {
        CallResult r = c.process().call("Call");
        streak = r.ok() && r.pod().equals("echo-cc-1") ? streak + 1 : 0;
        failedDuringChurn += r.ok() ? 0 : 1;
      }
      assertThat(streak).as(c.pod().name() + " converged on echo-cc-1").isEqualTo(4);
    }
    System.out.println("CCORE 5: calls failed while the removed endpoint stopped serving: " + failedDuringChurn);
    List<CallResult> after = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      after.add(ccFrontend.process().call("Call"));
      after.add(javaFrontend.process().call("Call"));
    }
    assertThat(after).allSatisfy(r -> {
      assertThat(r.ok()).as(r.raw()).isTrue();
      assertThat(r.pod()).as(r.raw()).isEqualTo("echo-cc-1");
    });
    old.close();
    ccServer = replacement;
  }

  @Test
  @Order(6)
  void bundledExamplesMeshIsServedToCcoreAndEnforced() throws Exception {
    // The bundled examples/ mesh, every object as the files hold it (their pods are on 127.0.0.x), loaded into the
    // same API server; C-core servers run as its two proxyless pods (cart-0, ledger-0), C-core clients as new
    // proxyless pods with the frontend's and the payments API's service accounts.
    Path examples = Path.of("..", "examples").toAbsolutePath().normalize();
    int loaded = loadExamples(examples);
    Workload cart = mesh.startCcoreServer(new MeshPod("shop", "cart-0", "cart", "127.0.0.12",
        Map.of("app", "cart", "version", "v1", "security.istio.io/tlsMode", "istio"), 7070), TTL, List.of(7070), false);
    Workload ledger = mesh.startCcoreServer(new MeshPod("payments", "ledger-0", "ledger", "127.0.0.22",
        Map.of("app", "ledger", "version", "v1", "security.istio.io/tlsMode", "istio"), 9090), TTL, List.of(9090),
        false);
    String cartTarget = ProxylessMesh.target("shop", "cart", 7070);
    String ledgerTarget = ProxylessMesh.target("payments", "ledger", 9090);
    Workload shopClient = mesh.startCcoreClient(new MeshPod("shop", "frontend-grpc-0", "frontend", "127.0.3.60",
        Map.of("app", "frontend-grpc"), 0), cartTarget, TTL);
    Workload paymentsClient = mesh.startCcoreClient(new MeshPod("payments", "payments-grpc-0", "payments-api",
        "127.0.3.61", Map.of("app", "payments-grpc"), 0), ledgerTarget, TTL);
    Workload legacyClient = mesh.startCcoreClient(new MeshPod("legacy", "reports-grpc-0", "reports", "127.0.3.62",
        Map.of("app", "reports-grpc"), 0), cartTarget, TTL);
    for (Workload w : List.of(cart, ledger)) {
      w.process().expectLine("STARTED", CONVERGE);
    }

    // shop/cart-from-frontend: the frontend's identity may call /shop.cart.v1.Cart/*.
    CallResult cartOk = okCall(shopClient.process(), "/shop.cart.v1.Cart/GetCart");
    assertThat(cartOk.pod()).isEqualTo("cart-0");
    assertThat(cartOk.peerSeenByServer()).isEqualTo("spiffe://cluster.local/ns/shop/sa/frontend");
    // The mesh-wide STRICT of examples/mesh: the cart, serving mTLS above, refuses a plaintext caller.
    try (PlaintextCaller plaintext = new PlaintextCaller(cart.pod().ip(), 7070)) {
      CallResult refused = plaintext.call(Echo.CALL);
      assertThat(refused.ok()).as("plaintext to cart under mesh STRICT: " + refused.raw()).isFalse();
      assertThat(refused.code()).as(refused.raw()).isEqualTo("UNAVAILABLE");
    }
    deniedCall(() -> shopClient.process().call("/shop.cart.v1.Admin/Reset"), "frontend -> cart outside Cart/*");
    // payments/ledger-from-payments-api: only the payments API, never Purge; allow-nothing for everyone else.
    CallResult post = okCall(paymentsClient.process(), "/payments.ledger.v1.Ledger/Post");
    assertThat(post.pod()).isEqualTo("ledger-0");
    deniedCall(() -> paymentsClient.process().call("/payments.ledger.v1.Ledger/Purge"), "payments-api -> Purge");
    deniedCall(() -> shopClient.process().callTo(ledgerTarget, "/payments.ledger.v1.Ledger/Post"),
        "frontend -> ledger");
    // shop/deny-legacy: nothing from legacy reaches the storefront (the client is mTLS, its identity is known).
    deniedCall(() -> legacyClient.process().call("/shop.cart.v1.Cart/GetCart"), "legacy reports -> cart");
    assertThat(ackedTypes(cart).keySet()).as("cart's ACKed types").contains(XDS_TYPES.get(0));
    assertThat(ackedTypes(ledger).keySet()).as("ledger's ACKed types").contains(XDS_TYPES.get(0));

    assertThat(ackedTypes(shopClient).keySet()).containsAll(XDS_TYPES);
    assertThat(ackedTypes(paymentsClient).keySet()).containsAll(XDS_TYPES);
    System.out.printf("CCORE 6: examples mesh (%d objects) served to C-core: cart and ledger enforce its policies;"
        + " client in shop ACKed %s%n", loaded, ackedTypes(shopClient));
  }

  /** Loads every document of examples/**.yaml: Namespaces first, then the rest in file order. */
  private static int loadExamples(Path dir) throws Exception {
    List<String> docs = new ArrayList<>();
    try (var files = java.nio.file.Files.walk(dir)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        for (String doc : java.nio.file.Files.readString(f).split("(?m)^---\\s*$")) {
          if (doc.contains("kind:")) {
            docs.add(doc);
          }
        }
      }
    }
    docs.sort(java.util.Comparator.comparing(d -> d.contains("kind: Namespace") ? 0 : 1));
    var client = mesh.cluster().client();
    for (String doc : docs) {
      if (doc.contains("apiVersion: security.istio.io/") || doc.contains("apiVersion: networking.istio.io/")) {
        mesh.cluster().apply(doc);
      } else {
        io.fabric8.kubernetes.api.model.HasMetadata r = client.getKubernetesSerialization().unmarshal(doc);
        client.resource(r).createOr(io.fabric8.kubernetes.client.dsl.NonDeletingOperation::update);
      }
    }
    assertThat(docs).as("examples/ documents").hasSizeGreaterThan(30);
    return docs.size();
  }
}
