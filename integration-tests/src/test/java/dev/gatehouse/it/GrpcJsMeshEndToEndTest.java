package dev.gatehouse.it;

import static dev.gatehouse.it.Convergence.deniedCall;
import static dev.gatehouse.it.Convergence.okCall;
import static dev.gatehouse.it.Convergence.until;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.gatehouse.it.ProxylessMesh.Workload;
import dev.gatehouse.it.cluster.KindEndpointSlices;
import dev.gatehouse.it.cluster.MeshPod;
import dev.gatehouse.it.workload.CallResult;
import dev.gatehouse.it.workload.Echo;
import dev.gatehouse.it.workload.PlaintextCaller;
import dev.gatehouse.it.workload.WorkloadProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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
 * The third data plane: grpc-js ({@code @grpc/grpc-js} with {@code @grpc/grpc-js-xds}, pinned in
 * {@code src/test/grpcjs/package-lock.json}, under Node.js at /usr/bin/node) against Gatehouse: grpc-js client and
 * server workloads and mixed pairs with grpc-java (grpc-js client -> grpc-java server, grpc-java client -> grpc-js
 * server). Every workload reads xDS through its agent's {@code XdsProxy} from Gatehouse's secure port, authenticated
 * by its certificate; its mTLS certificates are Gatehouse-CA files read by grpc-js's {@code file_watcher} provider.
 *
 * <p>The mesh is shaped as in {@link CcoreMeshEndToEndTest}: a Service with a named and a numeric {@code targetPort},
 * EndpointSlices as kind's controller writes them. One namespace and one set of workloads for the class; the
 * scenarios run in order on the same live connections, and after each the {@link NackWatcher} fails on any NACK and
 * requires every type every stream was sent to be ACKed at the version sent.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GrpcJsMeshEndToEndTest {
  private static final String NS = "grpcjs";
  private static final Duration TTL = Duration.ofHours(1);
  private static final Duration CONVERGE = Convergence.CONVERGE;
  private static final int JS_GRPC_PORT = 7070;       // Service port "grpc", targetPort "grpc" -> container 8080
  private static final int JS_ADMIN_PORT = 9090;      // Service port "grpc-admin", targetPort 9091 (numeric)
  private static final int JAVA_PORT = 8080;

  @TempDir static Path work;
  private static ProxylessMesh mesh;
  private static NackWatcher nacks;
  private static KindEndpointSlices kind;
  private static Workload jsServer;
  private static Workload javaServer;
  private static Workload jsFrontend;
  private static Workload jsOther;
  private static Workload javaFrontend;
  private static int nextIp;

  @BeforeAll
  static void start() throws Exception {
    requireGrpcJs();
    long t0 = System.nanoTime();
    mesh = ProxylessMesh.start(work, Map.of());
    nacks = new NackWatcher(mesh.gatehouse());
    assertThat(mesh.gatehouse().adsServerReceivesSnapshots(Duration.ofSeconds(10))).isTrue();
    kind = new KindEndpointSlices(mesh.cluster());
    mesh.namespace(NS, "STRICT");
    kind.service(NS, "echo-js", "echo-js", List.of(
        new KindEndpointSlices.Port("grpc", JS_GRPC_PORT, "grpc", "grpc"),
        new KindEndpointSlices.Port("grpc-admin", JS_ADMIN_PORT, "9091", null)));
    kind.service(NS, "echo-java", "echo-java", List.of(
        new KindEndpointSlices.Port("grpc", JAVA_PORT, "grpc", null)));
    kind.write(NS, "echo-js", List.of());     // the controller's placeholder before any pod is ready
    kind.write(NS, "echo-java", List.of());

    jsServer = mesh.startGrpcJsServer(pod("echo-js-0", "echo-js", "echo-js", 8080), TTL, List.of(8080, 9091));
    javaServer = mesh.startServer(pod("echo-java-0", "echo-java", "echo-java", JAVA_PORT), TTL);
    jsServer.process().expectLine("STARTED", CONVERGE);
    kind.write(NS, "echo-js", List.of(jsServer.pod()));
    kind.write(NS, "echo-java", List.of(javaServer.pod()));
    jsFrontend = mesh.startGrpcJsClient(pod("js-frontend-0", "frontend", "js-frontend", 0), jsTarget(), TTL);
    jsOther = mesh.startGrpcJsClient(pod("js-other-0", "other", "js-other", 0), jsTarget(), TTL);
    javaFrontend = mesh.startClient(pod("java-frontend-0", "frontend-java", "java-frontend", 0), jsTarget(), TTL);
    javaServer.process().expectLine("SERVING", CONVERGE);
    for (Workload c : List.of(jsFrontend, jsOther, javaFrontend)) {
      c.process().expectLine("READY", CONVERGE);
    }
    System.out.printf("GRPCJS: mesh and 5 workloads (3 grpc-js, 2 grpc-java) started in %d ms%n",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
  }

  @AfterAll
  static void stop() {
    if (mesh != null) {
      mesh.close();
    }
  }

  /**
   * Under CI=true a missing Node.js, or grpc-js modules missing or not the versions package.json pins, is a failure;
   * elsewhere the class is skipped with the reason.
   */
  private static void requireGrpcJs() throws Exception {
    Path project = WorkloadProcess.grpcJsProject();
    String problem;
    try {
      JsonObject pinned = JsonParser.parseString(Files.readString(project.resolve("package.json")))
          .getAsJsonObject().getAsJsonObject("dependencies");
      String expected = pinned.get("@grpc/grpc-js").getAsString() + " " + pinned.get("@grpc/grpc-js-xds").getAsString();
      Process p = new ProcessBuilder(WorkloadProcess.SYSTEM_NODE.toString(), "-e",
          "console.log(require('@grpc/grpc-js/package.json').version + ' '"
              + " + require('@grpc/grpc-js-xds/package.json').version)")
          .directory(project.toFile()).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      boolean ran = p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
      problem = !ran ? out : out.equals(expected) ? null
          : "installed @grpc/grpc-js @grpc/grpc-js-xds " + out + ", package.json pins " + expected;
      if (problem == null) {
        System.out.println("GRPCJS: @grpc/grpc-js @grpc/grpc-js-xds " + out);
      }
    } catch (java.io.IOException e) {
      problem = e.toString();
    }
    if (problem != null) {
      String why = "grpc-js is not usable (" + WorkloadProcess.SYSTEM_NODE + ", npm ci in " + project + "): "
          + problem;
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        fail("CI=true: grpc-js is required: " + why);
      }
      Assumptions.abort(why);
    }
  }

  // ---- fixtures -------------------------------------------------------------------------------------------------

  private static MeshPod pod(String name, String sa, String app, int port) {
    // Own address range (127.0.4.x), clear of ProxylessMesh.pod's, the C-core test's and the examples mesh's.
    return new MeshPod(NS, name, sa, "127.0.4." + (10 + nextIp++), Map.of("app", app), port);
  }

  private static String jsTarget() {
    return ProxylessMesh.target(NS, "echo-js", JS_GRPC_PORT);
  }

  private static String javaTarget() {
    return ProxylessMesh.target(NS, "echo-java", JAVA_PORT);
  }

  private static String spiffe(String sa) {
    return "spiffe://" + ProxylessMesh.TRUST_DOMAIN + "/ns/" + NS + "/sa/" + sa;
  }

  @AfterEach
  void everyResourceAckedByEveryClient(TestInfo test) throws Exception {
    if (mesh != null) {
      nacks.assertEverythingAcked(test.getDisplayName());
    }
  }

  // ---- scenarios ------------------------------------------------------------------------------------------------

  @Test
  @Order(1)
  void xdsResolutionAndMtlsAcrossGrpcJsAndGrpcJava() throws Exception {
    // grpc-js client -> grpc-js server: xds:/// over LDS/RDS/CDS/EDS, mTLS with Gatehouse-CA file_watcher
    // certificates on both sides.
    CallResult js = okCall(jsFrontend.process(), "Call");
    assertThat(js.pod()).isEqualTo("echo-js-0");
    assertThat(js.fields()).containsEntry("port", "8080");  // Service port 7070, named targetPort grpc -> 8080
    assertThat(js.peerSeenByServer()).isEqualTo(spiffe("frontend"));
    assertThat(js.peerSerialSeenByServer()).isEqualTo(jsFrontend.agent().current().serialHex());
    assertThat(js.fields()).containsEntry("server", spiffe("echo-js"))
        .containsEntry("serverSerial", jsServer.agent().current().serialHex());
    // The other grpc-js client's channel connects now, so that the policy scenarios change the config under an
    // open connection.
    assertThat(okCall(jsOther.process(), "Call").peerSeenByServer()).isEqualTo(spiffe("other"));
    // The second Service port, numeric targetPort.
    CallResult admin = until(() -> jsFrontend.process().callTo(ProxylessMesh.target(NS, "echo-js", JS_ADMIN_PORT),
        "Call"), CallResult::ok);
    assertThat(admin.ok()).as(admin.raw()).isTrue();
    assertThat(admin.fields()).containsEntry("port", "9091");
    assertThat(admin.peerSeenByServer()).isEqualTo(spiffe("frontend"));

    // grpc-js client -> grpc-java server; each saw the other's certificate.
    CallResult toJava = okCall(() -> jsFrontend.process().callTo(javaTarget(), "Call"), "grpc-js -> grpc-java");
    assertThat(toJava.pod()).isEqualTo("echo-java-0");
    assertThat(toJava.peerSeenByServer()).isEqualTo(spiffe("frontend"));
    assertThat(toJava.peerSerialSeenByServer()).isEqualTo(jsFrontend.agent().current().serialHex());
    assertThat(toJava.fields()).containsEntry("server", spiffe("echo-java"))
        .containsEntry("serverSerial", javaServer.agent().current().serialHex());

    // grpc-java client -> grpc-js server; the client saw the grpc-js server's certificate.
    CallResult fromJava = okCall(javaFrontend.process(), "Call");
    assertThat(fromJava.pod()).isEqualTo("echo-js-0");
    assertThat(fromJava.peerSeenByServer()).isEqualTo(spiffe("frontend-java"));
    assertThat(fromJava.peerSerialSeenByServer()).isEqualTo(javaFrontend.agent().current().serialHex());
    assertThat(fromJava.fields()).containsEntry("server", spiffe("echo-js"))
        .containsEntry("serverSerial", jsServer.agent().current().serialHex());

    // STRICT: a plaintext caller is refused by the grpc-js server.
    try (PlaintextCaller plaintext = new PlaintextCaller(jsServer.pod().ip(), 8080)) {
      CallResult refused = plaintext.call(Echo.CALL);
      assertThat(refused.code()).as(refused.raw()).isEqualTo("UNAVAILABLE");
    }

    // The grpc-js client holds all four types, ACKed; the grpc-js server its Listeners; all through the agent
    // proxy, which presented the pod's certificate.
    assertThat(nacks.ackedTypes(jsFrontend.pod()).keySet()).as("grpc-js client's ACKed types")
        .containsAll(NackWatcher.XDS_TYPES);
    assertThat(nacks.ackedTypes(jsServer.pod()).keySet()).as("grpc-js server's ACKed types")
        .contains(NackWatcher.XDS_TYPES.get(0));
    for (Workload w : List.of(jsServer, jsFrontend)) {
      assertThat(w.xdsProxy().presentedSerials()).as(w.pod().name()).contains(w.agent().current().serialHex());
    }
    System.out.println("GRPCJS 1: grpc-js client ACKed " + nacks.ackedTypes(jsFrontend.pod())
        + "; grpc-js server ACKed " + nacks.ackedTypes(jsServer.pod()));
  }

  @Test
  @Order(2)
  void permissiveAdmitsPlaintextUntilStrictOnTheLiveConnection() throws Exception {
    mesh.peerAuthentication(NS, "PERMISSIVE");
    try (PlaintextCaller plaintext = new PlaintextCaller(jsServer.pod().ip(), 8080)) {
      CallResult plain = until(() -> plaintext.call(Echo.CALL), CallResult::ok);
      assertThat(plain.ok()).as(plain.raw()).isTrue();
      assertThat(plain.peerSeenByServer()).isEqualTo("none");
      okCall(jsFrontend.process(), "Call");
      okCall(javaFrontend.process(), "Call");

      long written = System.nanoTime();
      mesh.peerAuthentication(NS, "STRICT");
      CallResult refused = until(() -> plaintext.call(Echo.CALL), r -> !r.ok());
      System.out.printf("GRPCJS 2: grpc-js server refused plaintext %d ms after STRICT was written%n",
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - written));
      assertThat(refused.ok()).as(refused.raw()).isFalse();
    }
    CallResult mtls = until(() -> jsFrontend.process().call("Call"),
        r -> r.ok() && r.peerSeenByServer().equals(spiffe("frontend")));
    assertThat(mtls.peerSeenByServer()).as(mtls.raw()).isEqualTo(spiffe("frontend"));
    CallResult java = until(() -> javaFrontend.process().call("Call"),
        r -> r.ok() && r.peerSeenByServer().equals(spiffe("frontend-java")));
    assertThat(java.peerSeenByServer()).as(java.raw()).isEqualTo(spiffe("frontend-java"));
  }

  @Test
  @Order(3)
  void allowAndDenyByPrincipalPathAndMethod() throws Exception {
    // On the grpc-js server: ALLOW by principal + method + path, DENY by method + path.
    mesh.cluster().apply("""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: js-allow, namespace: %1$s}
        spec:
          selector: {matchLabels: {app: echo-js}}
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
        metadata: {name: js-deny-admin, namespace: %s}
        spec:
          selector: {matchLabels: {app: echo-js}}
          action: DENY
          rules:
          - to:
            - operation: {methods: ["POST"], paths: ["%s"]}
        """.formatted(NS, Echo.path(Echo.ADMIN)));
    // On the grpc-java server: ALLOW only the grpc-js frontend.
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
      policiesTakeEffect();
    } finally {
      for (String name : List.of("js-allow", "js-deny-admin", "js-deny-java", "java-allow")) {
        mesh.cluster().delete("security.istio.io/v1", "AuthorizationPolicy", NS, name);
      }
    }
    okCall(jsFrontend.process(), "Admin");
    okCall(jsOther.process(), "Call");
    okCall(javaFrontend.process(), "Call");
  }

  private static void policiesTakeEffect() {
    deniedCall(() -> jsOther.process().call("Call"), "grpc-js other -> grpc-js server (not an allowed principal)");
    deniedCall(() -> jsFrontend.process().call("Admin"), "grpc-js frontend Admin (DENY by method+path)");
    assertThat(jsFrontend.process().call("Call").ok()).isTrue();
    // A path outside the ALLOW's /gatehouse.it.Echo/* is refused by the policy, not unknown to the server.
    deniedCall(() -> jsFrontend.process().call("/other.Service/Call"), "grpc-js frontend outside the ALLOW's paths");
    deniedCall(() -> javaFrontend.process().call("Admin"), "grpc-java frontend Admin on the grpc-js server");
    assertThat(javaFrontend.process().call("Call").ok()).isTrue();
    deniedCall(() -> jsOther.process().callTo(javaTarget(), "Call"), "grpc-js other -> grpc-java server");
    // (grpc-java drains its connections when its Listener changes: the first call after may fail UNAVAILABLE.)
    okCall(() -> jsFrontend.process().callTo(javaTarget(), "Call"), "grpc-js frontend -> grpc-java server");

    // DENY by principal, added on the live connections.
    mesh.cluster().apply("""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: js-deny-java, namespace: %1$s}
        spec:
          selector: {matchLabels: {app: echo-js}}
          action: DENY
          rules:
          - from:
            - source: {principals: ["cluster.local/ns/%1$s/sa/frontend-java"]}
        """.formatted(NS));
    deniedCall(() -> javaFrontend.process().call("Call"), "grpc-java frontend after DENY by its principal");
    assertThat(jsFrontend.process().call("Call").ok()).isTrue();

    // The ALLOW's method changed to GET (gRPC is always POST): the grpc-js server now refuses the frontend.
    long written = System.nanoTime();
    mesh.cluster().apply("""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: js-allow, namespace: %1$s}
        spec:
          selector: {matchLabels: {app: echo-js}}
          action: ALLOW
          rules:
          - from:
            - source: {principals: ["cluster.local/ns/%1$s/sa/frontend"]}
            to:
            - operation: {methods: ["GET"], paths: ["/gatehouse.it.Echo/*"]}
        """.formatted(NS));
    deniedCall(() -> jsFrontend.process().call("Call"), "grpc-js frontend after ALLOW methods became GET");
    System.out.printf("GRPCJS 3: policy change -> grpc-js server denies after %d ms%n",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - written));
  }

  @Test
  @Order(4)
  void emptySpecDeniesEverythingUntilDeleted() throws Exception {
    mesh.cluster().apply("""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: allow-nothing, namespace: %s}
        spec: {}
        """.formatted(NS));
    deniedCall(() -> jsFrontend.process().call("Call"), "grpc-js -> grpc-js under spec {}");
    deniedCall(() -> jsFrontend.process().callTo(javaTarget(), "Call"), "grpc-js -> grpc-java under spec {}");
    deniedCall(() -> javaFrontend.process().call("Call"), "grpc-java -> grpc-js under spec {}");
    mesh.cluster().delete("security.istio.io/v1", "AuthorizationPolicy", NS, "allow-nothing");
    okCall(jsFrontend.process(), "Call");
    okCall(javaFrontend.process(), "Call");
    okCall(() -> jsFrontend.process().callTo(javaTarget(), "Call"), "grpc-js -> grpc-java after spec {} is deleted");
  }

  @Test
  @Order(5)
  void podChurnMovesClientsToTheNewEndpoint() throws Exception {
    Workload replacement = mesh.startGrpcJsServer(pod("echo-js-1", "echo-js", "echo-js", 8080), TTL,
        List.of(8080, 9091));
    replacement.process().expectLine("STARTED", CONVERGE);
    Workload old = jsServer;
    // Added: both in the slice; the clients' round robin reaches the new one.
    kind.write(NS, "echo-js", List.of(old.pod(), replacement.pod()));
    CallResult reached = until(() -> jsFrontend.process().call("Call"), r -> r.ok() && r.pod().equals("echo-js-1"));
    assertThat(reached.pod()).as(reached.raw()).isEqualTo("echo-js-1");
    assertThat(reached.peerSeenByServer()).isEqualTo(spiffe("frontend"));
    CallResult javaReached = until(() -> javaFrontend.process().call("Call"),
        r -> r.ok() && r.pod().equals("echo-js-1"));
    assertThat(javaReached.pod()).as(javaReached.raw()).isEqualTo("echo-js-1");

    // Removed: the old pod leaves the slice and the API server; every call now lands on the new one.
    kind.write(NS, "echo-js", List.of(replacement.pod()));
    mesh.cluster().deletePod(old.pod());
    int failedDuringChurn = 0;
    for (Workload c : List.of(jsFrontend, jsOther, javaFrontend)) {
      int streak = 0;
      long deadline = System.nanoTime() + CONVERGE.toNanos();
      while (streak < 4 && System.nanoTime() < deadline) {
        CallResult r = c.process().call("Call");
        streak = r.ok() && r.pod().equals("echo-js-1") ? streak + 1 : 0;
        failedDuringChurn += r.ok() ? 0 : 1;
      }
      assertThat(streak).as(c.pod().name() + " converged on echo-js-1").isEqualTo(4);
    }
    System.out.println("GRPCJS 5: calls failed while the removed endpoint stopped serving: " + failedDuringChurn);
    List<CallResult> after = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      after.add(jsFrontend.process().call("Call"));
      after.add(javaFrontend.process().call("Call"));
    }
    assertThat(after).allSatisfy(r -> {
      assertThat(r.ok()).as(r.raw()).isTrue();
      assertThat(r.pod()).as(r.raw()).isEqualTo("echo-js-1");
    });
    old.close();
    jsServer = replacement;
  }
}
