package dev.gatehouse.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.gatehouse.it.ProxylessMesh.Workload;
import dev.gatehouse.it.agent.ForeignCertificateAuthority;
import dev.gatehouse.it.agent.IssuedCertificate;
import dev.gatehouse.it.agent.XdsProxy;
import dev.gatehouse.it.cluster.MeshPod;
import dev.gatehouse.it.workload.CallResult;
import dev.gatehouse.it.workload.Echo;
import dev.gatehouse.it.workload.PlaintextCaller;
import dev.gatehouse.it.workload.WorkloadProcess;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 5's scenarios: a proxyless gRPC mesh secured by Gatehouse, checked with grpc-java xDS servers and clients
 * that nobody here wrote, each in its own JVM, certificates from Gatehouse's CA via the test workload agent, config
 * from Gatehouse's ADS server on its secure port through the agent's {@link XdsProxy} (mTLS with the pod's
 * certificate), cluster state in the fabric8 mock API server. One Gatehouse for the class; each
 * scenario has its own namespace. Every assertion is on what the calling application sees: the call's status, and
 * what the server saw of the caller's certificate.
 *
 * <p>Scenario 7 (certificate rotation) needs a real minute; its pods start in {@link #start()} so the renewal
 * happens while the other scenarios run, and it runs last.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ProxylessMeshEndToEndTest {
  private static final int PORT = 8080;
  private static final Duration LONG_TTL = Duration.ofHours(1);
  private static final Duration ROTATION_TTL = Duration.ofMinutes(2);
  private static final Duration CONVERGE = Duration.ofSeconds(20);

  @TempDir static Path work;
  private static ProxylessMesh mesh;
  private static Workload rotationServer;
  private static Workload rotationClient;
  private static CallResult rotationFirstCall;
  private static Thread rotationCalls;
  private static final java.util.concurrent.atomic.AtomicBoolean rotationCallsStop =
      new java.util.concurrent.atomic.AtomicBoolean();
  private static final List<TimedCall> rotationResults = new java.util.concurrent.CopyOnWriteArrayList<>();

  private record TimedCall(java.time.Instant at, CallResult result) {}

  @BeforeAll
  static void start() throws Exception {
    mesh = ProxylessMesh.start(work, Map.of());
    // Fail fast, with the reason, if the ADS server does not follow the config source: otherwise every scenario
    // would time out on its own for this one cause.
    assertThat(mesh.gatehouse().adsServerReceivesSnapshots(Duration.ofSeconds(10)))
        .as("Gatehouse's ADS server receives the config stream's snapshots (MeshConfigStream -> XdsServer.onSnapshot)")
        .isTrue();
    // Scenario 7's pods first: their 2-minute certificates renew after about a minute, during the other scenarios.
    mesh.namespace("s7-rotation", "STRICT");
    Workload[] pods = echoWithClient("s7-rotation", ROTATION_TTL);
    rotationServer = pods[0];
    rotationClient = pods[1];
    awaitServing(rotationServer);
    rotationFirstCall = callUntil(rotationClient.process(), "Call", CallResult::ok, CONVERGE);
    // Calls every 2 s while the other scenarios run, so the renewal (about a minute in) happens between calls.
    rotationCalls = new Thread(() -> {
      // Stopped by the flag, never by interrupting a call, so no answer is left in flight.
      while (!rotationCallsStop.get()) {
        CallResult r = rotationClient.process().call("Call");
        rotationResults.add(new TimedCall(java.time.Instant.now(), r));
        for (int i = 0; i < 20 && !rotationCallsStop.get(); i++) {
          sleep(100);
        }
      }
    }, "s7-rotation-calls");
    rotationCalls.setDaemon(true);
    rotationCalls.start();
  }

  @AfterAll
  static void stop() {
    rotationCallsStop.set(true);
    if (mesh != null) {
      mesh.close();
    }
  }

  // ---- fixtures -------------------------------------------------------------------------------------------------

  /** Service {@code echo} backed by pod echo-0 (sa echo), plus a client pod (sa client); returns {server, client}. */
  private static Workload[] echoWithClient(String ns, Duration ttl) throws Exception {
    Workload server = echoServer(ns, "echo-0", ttl);
    Workload client = client(ns, "client-0", "client", ttl);
    return new Workload[] {server, client};
  }

  private static Workload echoServer(String ns, String podName, Duration ttl) throws Exception {
    MeshPod pod = mesh.pod(ns, podName, "echo", "echo", PORT);
    if (mesh.cluster().endpointsOf(ns, "echo").isEmpty()
        && mesh.cluster().client().services().inNamespace(ns).withName("echo").get() == null) {
      mesh.cluster().service(ns, "echo", PORT);
    }
    Workload server = mesh.startServer(pod, ttl);
    List<MeshPod> endpoints = new ArrayList<>(mesh.cluster().endpointsOf(ns, "echo"));
    endpoints.add(pod);
    mesh.cluster().endpointsOf(ns, "echo", PORT, endpoints);
    return server;
  }

  private static Workload client(String ns, String podName, String sa, Duration ttl) throws Exception {
    return mesh.startClient(mesh.pod(ns, podName, sa, podName, 0), ProxylessMesh.target(ns, "echo", PORT), ttl);
  }

  private static void awaitServing(Workload server) {
    server.process().expectLine("SERVING", CONVERGE);
  }

  /** Calls until {@code until} holds (or the timeout passes); returns the last result. */
  private static CallResult callUntil(WorkloadProcess client, String method, Predicate<CallResult> until, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    CallResult last;
    do {
      last = client.call(method);
      if (until.test(last)) {
        return last;
      }
      sleep(100);
    } while (System.nanoTime() < deadline);
    return last;
  }

  private static CallResult callUntil(PlaintextCaller caller, Predicate<CallResult> until, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    CallResult last;
    do {
      last = caller.call(Echo.CALL);
      if (until.test(last)) {
        return last;
      }
      sleep(100);
    } while (System.nanoTime() < deadline);
    return last;
  }

  /** AuthorizationPolicy {@code allow-<sa>}: the echo server admits only callers with that service account. */
  private static void allowEchoOnlyFrom(String ns, String serviceAccount) {
    mesh.cluster().apply("""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: allow-%s, namespace: %s}
        spec:
          selector: {matchLabels: {app: echo}}
          action: ALLOW
          rules:
          - from:
            - source: {principals: ["cluster.local/ns/%s/sa/%s"]}
        """.formatted(serviceAccount, ns, ns, serviceAccount));
  }

  private static String spiffe(String ns, String sa) {
    return "spiffe://" + ProxylessMesh.TRUST_DOMAIN + "/ns/" + ns + "/sa/" + sa;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  // ---- scenarios ------------------------------------------------------------------------------------------------

  @Test
  @Order(1)
  void strictNamespaceAcceptsMtlsClientAndRefusesPlaintextCaller() throws Exception {
    String ns = "s1-strict";
    mesh.namespace(ns, "STRICT");
    Workload[] pods = echoWithClient(ns, LONG_TTL);
    awaitServing(pods[0]);
    pods[1].process().expectLine("READY", CONVERGE);

    CallResult mtls = callUntil(pods[1].process(), "Call", CallResult::ok, CONVERGE);
    assertThat(mtls.ok()).as(mtls.raw()).isTrue();
    assertThat(mtls.peerSeenByServer()).isEqualTo(spiffe(ns, "client"));
    assertThat(mtls.peerSerialSeenByServer()).isEqualTo(pods[1].agent().current().serialHex());
    assertThat(mtls.fields()).containsEntry("server", spiffe(ns, "echo"));
    // Both pods read xDS through their agent's proxy, which presented the pod's certificate to the secure port.
    for (Workload w : pods) {
      assertThat(w.xdsProxy().presentedSerials()).as(w.pod().name()).contains(w.agent().current().serialHex());
    }

    try (PlaintextCaller plaintext = new PlaintextCaller(pods[0].pod().ip(), PORT)) {
      CallResult refused = plaintext.call(Echo.CALL);
      assertThat(refused.ok()).as(refused.raw()).isFalse();
      assertThat(refused.code()).isEqualTo("UNAVAILABLE");
    }
  }

  @Test
  @Order(2)
  void permissiveNamespaceAcceptsBothUntilSwitchedToStrict() throws Exception {
    String ns = "s2-permissive";
    mesh.namespace(ns, "PERMISSIVE");
    Workload[] pods = echoWithClient(ns, LONG_TTL);
    awaitServing(pods[0]);
    WorkloadProcess meshClient = pods[1].process();
    try (PlaintextCaller plaintext = new PlaintextCaller(pods[0].pod().ip(), PORT)) {
      CallResult first = callUntil(meshClient, "Call", CallResult::ok, CONVERGE);
      assertThat(first.ok()).as(first.raw()).isTrue();
      CallResult plain = callUntil(plaintext, CallResult::ok, CONVERGE);
      assertThat(plain.ok()).as(plain.raw()).isTrue();
      assertThat(plain.peerSeenByServer()).isEqualTo("none");

      long written = System.nanoTime();
      mesh.peerAuthentication(ns, "STRICT");
      CallResult refused = callUntil(plaintext, r -> !r.ok(), Duration.ofSeconds(10));
      long refusedAfterMillis = (System.nanoTime() - written) / 1_000_000;
      System.out.printf("SCENARIO 2: plaintext caller refused %d ms after PeerAuthentication became STRICT%n",
          refusedAfterMillis);
      assertThat(refused.ok()).as(refused.raw()).isFalse();
      assertThat(refusedAfterMillis).as("plaintext refused within 2 s").isLessThanOrEqualTo(2000);

      // The mesh client keeps working, now over mTLS.
      CallResult mtls = callUntil(meshClient, "Call", r -> r.ok() && !r.peerSeenByServer().equals("none"), CONVERGE);
      assertThat(mtls.peerSeenByServer()).as(mtls.raw()).isEqualTo(spiffe(ns, "client"));
      List<CallResult> after = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        after.add(meshClient.call("Call"));
      }
      assertThat(after).allSatisfy(r -> assertThat(r.ok()).as(r.raw()).isTrue());
    }
  }

  @Test
  @Order(3)
  void allowByPrincipalAdmitsOnlyThatServiceAccount() throws Exception {
    String ns = "s3-allow";
    mesh.namespace(ns, "STRICT");
    allowEchoOnlyFrom(ns, "frontend");
    Workload server = echoServer(ns, "echo-0", LONG_TTL);
    Workload frontend = client(ns, "frontend-0", "frontend", LONG_TTL);
    Workload other = client(ns, "other-0", "other", LONG_TTL);
    awaitServing(server);

    CallResult allowed = callUntil(frontend.process(), "Call", CallResult::ok, CONVERGE);
    assertThat(allowed.ok()).as(allowed.raw()).isTrue();
    assertThat(allowed.peerSeenByServer()).isEqualTo(spiffe(ns, "frontend"));

    CallResult denied = callUntil(other.process(), "Call", r -> !r.code().equals("UNAVAILABLE"), CONVERGE);
    assertThat(denied.code()).as(denied.raw()).isEqualTo("PERMISSION_DENIED");
  }

  @Test
  @Order(4)
  void denyByPathWinsOverAllow() throws Exception {
    String ns = "s4-deny";
    mesh.namespace(ns, "STRICT");
    allowEchoOnlyFrom(ns, "client");
    mesh.cluster().apply("""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: deny-admin, namespace: %s}
        spec:
          selector: {matchLabels: {app: echo}}
          action: DENY
          rules:
          - to:
            - operation: {paths: ["%s"]}
        """.formatted(ns, Echo.path(Echo.ADMIN)));
    Workload[] pods = echoWithClient(ns, LONG_TTL);
    awaitServing(pods[0]);

    CallResult call = callUntil(pods[1].process(), "Call", CallResult::ok, CONVERGE);
    assertThat(call.ok()).as(call.raw()).isTrue();
    CallResult admin = pods[1].process().call("Admin");
    assertThat(admin.code()).as(admin.raw()).isEqualTo("PERMISSION_DENIED");
  }

  @Test
  @Order(5)
  void allowNothingDeniesEverythingUntilDeleted() throws Exception {
    String ns = "s5-allow-nothing";
    mesh.namespace(ns, "STRICT");
    Workload[] pods = echoWithClient(ns, LONG_TTL);
    awaitServing(pods[0]);
    WorkloadProcess client = pods[1].process();
    assertThat(callUntil(client, "Call", CallResult::ok, CONVERGE).ok()).isTrue();

    mesh.cluster().apply("""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: allow-nothing, namespace: %s}
        spec: {}
        """.formatted(ns));
    CallResult denied = callUntil(client, "Call", r -> r.code().equals("PERMISSION_DENIED"), CONVERGE);
    assertThat(denied.code()).as(denied.raw()).isEqualTo("PERMISSION_DENIED");
    assertThat(client.call("Admin").code()).isEqualTo("PERMISSION_DENIED");

    mesh.cluster().delete("security.istio.io/v1", "AuthorizationPolicy", ns, "allow-nothing");
    CallResult restored = callUntil(client, "Call", CallResult::ok, CONVERGE);
    assertThat(restored.ok()).as(restored.raw()).isTrue();
  }

  @Test
  @Order(6)
  void untranslatablePolicyFailsClosedAndIsReported() throws Exception {
    String ns = "s6-fail-closed";
    mesh.namespace(ns, "STRICT");
    Workload[] pods = echoWithClient(ns, LONG_TTL);
    awaitServing(pods[0]);
    WorkloadProcess client = pods[1].process();
    assertThat(callUntil(client, "Call", CallResult::ok, CONVERGE).ok()).isTrue();

    // A DENY meant to stop one address, with an address Istio's webhook would refuse: Gatehouse cannot tell what it
    // was meant to stop, so it must deny everything rather than ignore it.
    mesh.cluster().apply("""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: broken-deny, namespace: %s}
        spec:
          selector: {matchLabels: {app: echo}}
          action: DENY
          rules:
          - from:
            - source: {ipBlocks: ["not-an-ip"]}
        """.formatted(ns));
    CallResult denied = callUntil(client, "Call", r -> r.code().equals("PERMISSION_DENIED"), CONVERGE);
    assertThat(denied.code()).as(denied.raw()).isEqualTo("PERMISSION_DENIED");

    HttpResponse<String> authz = mesh.gatehouse().get("/debug/authorizationz?proxyID=echo-0." + ns);
    assertThat(authz.statusCode()).isEqualTo(200);
    JsonArray workloads = JsonParser.parseString(authz.body()).getAsJsonArray();
    assertThat(workloads).as(authz.body()).hasSize(1);
    JsonObject echo = workloads.get(0).getAsJsonObject();
    assertThat(echo.get("workload").getAsString()).isEqualTo(ns + "/echo-0");
    List<String> invalid = new ArrayList<>();
    for (JsonElement e : echo.getAsJsonArray("invalidPolicies")) {
      invalid.add(e.getAsJsonObject().get("name").getAsString() + ": " + e.getAsJsonObject().get("reason").getAsString());
    }
    assertThat(invalid).as(authz.body()).singleElement().asString().startsWith("broken-deny: ").contains("not-an-ip");
    System.out.println("SCENARIO 6: /debug/authorizationz for " + ns + "/echo-0: " + echo);
  }

  @Test
  @Order(7)
  void certificateRotationKeepsCallsWorkingAndServerSeesNewSerial() throws Exception {
    WorkloadProcess client = rotationClient.process();
    IssuedCertificate first = rotationClient.agent().issued().get(0);
    assertThat(rotationFirstCall.ok()).as(rotationFirstCall.raw()).isTrue();
    assertThat(rotationFirstCall.peerSerialSeenByServer()).isEqualTo(first.serialHex());

    // Renewal at half-life, about a minute after issuance; usually already done while the other scenarios ran.
    long deadline = System.nanoTime() + Duration.ofSeconds(100).toNanos();
    while (rotationClient.agent().issued().size() < 2 && System.nanoTime() < deadline) {
      sleep(500);
    }
    List<IssuedCertificate> issued = rotationClient.agent().issued();
    assertThat(issued).as("client certificate renewed; agent error: " + rotationClient.agent().lastError())
        .hasSizeGreaterThanOrEqualTo(2);
    java.time.Instant renewedAt = issued.get(1).requestedAt();
    // Wait for a call after the new files were installed, then stop the background caller.
    long afterRenewal = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (rotationResults.stream().noneMatch(c -> c.at().isAfter(renewedAt.plusSeconds(2)))
        && System.nanoTime() < afterRenewal) {
      sleep(500);
    }
    rotationCallsStop.set(true);
    rotationCalls.join(20_000);
    assertThat(rotationCalls.isAlive()).isFalse();
    List<TimedCall> during = List.copyOf(rotationResults);
    System.out.printf("SCENARIO 7: client serial %s renewed to %s after %d s; %d calls on the open connection"
        + " meanwhile%n", first.serialHex(), issued.get(issued.size() - 1).serialHex(),
        Duration.between(first.requestedAt(), renewedAt).toSeconds(), during.size());
    assertThat(during).as("calls before the renewal").anyMatch(c -> c.at().isBefore(renewedAt));
    assertThat(during).as("calls after the renewal").anyMatch(c -> c.at().isAfter(renewedAt.plusSeconds(2)));
    assertThat(during).allSatisfy(c -> assertThat(c.result().ok()).as(c.result().raw()).isTrue());

    // A new connection presents a renewed certificate (grpc's file watcher re-reads the files every second).
    CallResult fresh = null;
    long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (System.nanoTime() < until) {
      fresh = client.callOnNewConnection("Call");
      if (fresh.ok() && !fresh.peerSerialSeenByServer().equals(first.serialHex())) {
        break;
      }
      sleep(300);
    }
    assertThat(fresh).isNotNull();
    assertThat(fresh.ok()).as(fresh.raw()).isTrue();
    List<String> renewedSerials = rotationClient.agent().issued().stream().skip(1).map(IssuedCertificate::serialHex)
        .toList();
    assertThat(renewedSerials).contains(fresh.peerSerialSeenByServer());
    // And the long-lived channel still works.
    CallResult still = client.call("Call");
    assertThat(still.ok()).as(still.raw()).isTrue();

    // Both pods' agent proxies re-dialed the secure port with their renewed certificates and handed the apps' xDS
    // streams over to those connections (the calls above all succeeded meanwhile); the server's config keeps
    // flowing on its new connection (a DENY written now takes effect).
    for (Workload w : List.of(rotationClient, rotationServer)) {
      XdsProxy proxy = w.xdsProxy();
      long redial = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (proxy.dials().size() < 2 && System.nanoTime() < redial) {
        sleep(200);
      }
      List<XdsProxy.Dial> dials = proxy.dials();
      System.out.printf("SCENARIO 7: %s xDS proxy dials %s, hand-offs %d, app streams %d, upstream closes %s%n",
          w.pod().name(), dials, proxy.handOffs(), proxy.downstreamStreams(), proxy.upstreamCloses());
      assertThat(dials).as(w.pod().name()).hasSizeGreaterThanOrEqualTo(2);
      assertThat(dials.get(0).serialHex()).isEqualTo(w.agent().issued().get(0).serialHex());
      assertThat(w.agent().issued().stream().skip(1).map(IssuedCertificate::serialHex).toList())
          .contains(dials.get(dials.size() - 1).serialHex());
      assertThat(proxy.handOffs()).as("app xDS streams handed over to the new connection").isPositive();
      assertThat(proxy.upstreamCloses()).as("Gatehouse ended no stream by itself").isEmpty();
    }
    mesh.cluster().apply("""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: deny-admin-after-rotation, namespace: s7-rotation}
        spec:
          selector: {matchLabels: {app: echo}}
          action: DENY
          rules:
          - to:
            - operation: {paths: ["%s"]}
        """.formatted(Echo.path(Echo.ADMIN)));
    CallResult admin = callUntil(client, "Admin", r -> r.code().equals("PERMISSION_DENIED"), CONVERGE);
    assertThat(admin.code()).as(admin.raw()).isEqualTo("PERMISSION_DENIED");
    XdsProxy serverProxy = rotationServer.xdsProxy();
    assertThat(serverProxy.presentedSerials()).as("streams after the hand-off present the renewed certificate")
        .contains(serverProxy.dials().get(serverProxy.dials().size() - 1).serialHex());
  }

  @Test
  @Order(8)
  void clientWithWrongIdentityIsRefused() throws Exception {
    String ns = "s8-wrong-identity";
    mesh.namespace(ns, "STRICT");
    allowEchoOnlyFrom(ns, "frontend");
    Workload server = echoServer(ns, "echo-0", LONG_TTL);
    Workload frontend = client(ns, "frontend-0", "frontend", LONG_TTL);
    String target = ProxylessMesh.target(ns, "echo", PORT);
    // Signed by a CA the mesh does not trust, for the allowed identity.
    Workload foreign = mesh.startClientWithForeignCertificate(
        mesh.pod(ns, "foreign-0", "frontend", "foreign", 0), target, new ForeignCertificateAuthority());
    // Signed by the mesh CA, but for another service account than the pod runs as. Its xDS comes from the plaintext
    // port, so the server's own check is what refuses it (through its agent's proxy Gatehouse refuses the stream
    // first: AuthenticatedXdsProxyTest).
    Workload misnamed = mesh.startClient(mesh.pod(ns, "misnamed-0", "frontend", "misnamed", 0), target, LONG_TTL,
        "intruder", ProxylessMesh.XdsPath.PLAINTEXT);
    awaitServing(server);

    CallResult ok = callUntil(frontend.process(), "Call", CallResult::ok, CONVERGE);
    assertThat(ok.ok()).as(ok.raw()).isTrue();

    CallResult foreignResult = foreign.process().call("Call");
    assertThat(foreignResult.ok()).as(foreignResult.raw()).isFalse();
    assertThat(foreignResult.code()).isEqualTo("UNAVAILABLE");

    CallResult misnamedResult = callUntil(misnamed.process(), "Call", r -> !r.code().equals("UNAVAILABLE"), CONVERGE);
    assertThat(misnamedResult.code()).as(misnamedResult.raw()).isEqualTo("PERMISSION_DENIED");
  }

  @Test
  @Order(9)
  void deletedPodStopsGettingConfigAndNewPodGetsItWithoutRestart() throws Exception {
    String ns = "s9-pod-churn";
    mesh.namespace(ns, "STRICT");
    Workload[] pods = echoWithClient(ns, LONG_TTL);
    Workload old = pods[0];
    awaitServing(old);
    WorkloadProcess client = pods[1].process();
    CallResult first = callUntil(client, "Call", CallResult::ok, CONVERGE);
    assertThat(first.pod()).as(first.raw()).isEqualTo("echo-0");

    // The pod goes away: the endpoint-slice controller drops it, the API server deletes it.
    int oldLines = old.process().lines().size();
    mesh.cluster().endpointsOf(ns, "echo", PORT, List.of());
    mesh.cluster().deletePod(old.pod());
    CallResult gone = callUntil(client, "Call", r -> !r.ok(), CONVERGE);
    assertThat(gone.ok()).as("no endpoint left for the client: " + gone.raw()).isFalse();
    assertThat(old.process().awaitLine(oldLines, l -> l.startsWith("NOT_SERVING"), CONVERGE))
        .as("the deleted pod's server lost its listener; lines " + old.process().lines()).isPresent();

    // A replacement pod with a new IP appears; the same client reaches it, Gatehouse keeps running.
    Workload replacement = echoServer(ns, "echo-1", LONG_TTL);
    awaitServing(replacement);
    CallResult reached = callUntil(client, "Call", CallResult::ok, CONVERGE);
    assertThat(reached.ok()).as(reached.raw()).isTrue();
    assertThat(reached.pod()).isEqualTo("echo-1");
    assertThat(reached.peerSeenByServer()).isEqualTo(spiffe(ns, "client"));
  }

  @Test
  @Order(10)
  void convergenceFromPolicyWriteToClientVisibleEffect() throws Exception {
    String ns = "s10-convergence";
    mesh.namespace(ns, "STRICT");
    Workload[] pods = echoWithClient(ns, LONG_TTL);
    awaitServing(pods[0]);
    WorkloadProcess client = pods[1].process();
    assertThat(callUntil(client, "Call", CallResult::ok, CONVERGE).ok()).isTrue();

    List<Long> denyMillis = new ArrayList<>();
    List<Long> allowMillis = new ArrayList<>();
    for (int round = 0; round < 3; round++) {
      long written = System.nanoTime();
      mesh.cluster().apply("""
          apiVersion: security.istio.io/v1
          kind: AuthorizationPolicy
          metadata: {name: deny-call, namespace: %s}
          spec:
            selector: {matchLabels: {app: echo}}
            action: DENY
            rules:
            - to:
              - operation: {paths: ["%s"]}
          """.formatted(ns, Echo.path(Echo.CALL)));
      CallResult denied = callUntil(client, "Call", r -> r.code().equals("PERMISSION_DENIED"), CONVERGE);
      assertThat(denied.code()).as(denied.raw()).isEqualTo("PERMISSION_DENIED");
      denyMillis.add((System.nanoTime() - written) / 1_000_000);

      written = System.nanoTime();
      mesh.cluster().delete("security.istio.io/v1", "AuthorizationPolicy", ns, "deny-call");
      CallResult allowed = callUntil(client, "Call", CallResult::ok, CONVERGE);
      assertThat(allowed.ok()).as(allowed.raw()).isTrue();
      allowMillis.add((System.nanoTime() - written) / 1_000_000);
    }
    System.out.printf("SCENARIO 10: convergence, policy write in the API server -> client sees PERMISSION_DENIED:"
        + " %s ms; policy delete -> client sees OK: %s ms (debounce quiet period 100 ms; client polls every call"
        + " + 100 ms)%n", denyMillis, allowMillis);
  }
}
