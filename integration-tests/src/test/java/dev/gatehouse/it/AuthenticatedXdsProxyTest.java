package dev.gatehouse.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.gatehouse.it.ProxylessMesh.Workload;
import dev.gatehouse.it.agent.CaEndpoint;
import dev.gatehouse.it.agent.GrpcXdsBootstrap;
import dev.gatehouse.it.agent.IssuedCertificate;
import dev.gatehouse.it.agent.WorkloadAgent;
import dev.gatehouse.it.agent.WorkloadIdentity;
import dev.gatehouse.it.agent.XdsProxy;
import dev.gatehouse.it.cluster.GatehouseUnderTest;
import dev.gatehouse.it.cluster.MeshPod;
import dev.gatehouse.it.workload.CallResult;
import dev.gatehouse.it.workload.WorkloadProcess;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The authenticated proxyless path (issue 13), in the hardened setting: Gatehouse runs with
 * {@code gatehouse.grpc.plaintext-enabled=false}, so the only way to config is its secure port. Every pod's grpc-java
 * application reads xDS from its agent's {@link XdsProxy} on the pod's loopback address, which forwards to the secure
 * port over mTLS with the certificate the agent got from Gatehouse's CA. Gatehouse authenticates the proxy by that
 * certificate, refuses a node that claims another namespace or service account than the certificate proves, refuses
 * an expired certificate in the handshake, and keeps serving across a certificate rotation (the proxy re-dials with
 * the new certificate and hands the application's stream over). One Gatehouse for the class, one namespace per test.
 */
class AuthenticatedXdsProxyTest {
  private static final int PORT = 8080;
  private static final Duration LONG_TTL = Duration.ofHours(1);
  private static final Duration CONVERGE = Duration.ofSeconds(20);

  @TempDir static Path work;
  private static ProxylessMesh mesh;
  private static final List<AutoCloseable> extra = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    mesh = ProxylessMesh.start(work, Map.of("gatehouse.grpc.plaintext-enabled", "false"));
    assertThat(mesh.gatehouse().adsServerReceivesSnapshots(Duration.ofSeconds(10))).isTrue();
  }

  @AfterAll
  static void stop() {
    for (AutoCloseable c : extra) {
      try {
        c.close();
      } catch (Exception e) {
        // best effort
      }
    }
    if (mesh != null) {
      mesh.close();
    }
  }

  @Test
  void plaintextPortIsClosedAndProxiedPodsAreServedWithTheirProvenIdentity() throws Exception {
    assertThatThrownBy(() -> {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", mesh.gatehouse().plaintextPort()), 1000);
      }
    }).as("gatehouse.grpc.plaintext-enabled=false opens no plaintext xDS port").isInstanceOf(ConnectException.class);

    String ns = "accepted";
    mesh.namespace(ns, "STRICT");
    Workload server = echoServer(ns);
    Workload client = client(ns, "client-0", "client");
    server.process().expectLine("SERVING", CONVERGE);
    CallResult ok = callUntil(client.process(), "Call", CallResult::ok, CONVERGE);
    assertThat(ok.ok()).as(ok.raw()).isTrue();
    assertThat(ok.peerSeenByServer()).isEqualTo(spiffe(ns, "client"));

    for (Workload w : List.of(server, client)) {
      assertThat(w.xdsProxy().presentedSerials()).as(w.pod().name()).contains(w.agent().current().serialHex());
      assertThat(w.xdsProxy().upstreamCloses()).as(w.pod().name()).isEmpty();
      JsonObject status = syncStatus(nodeId(w.pod())).orElseThrow();
      assertThat(status.get("caller").getAsString()).isEqualTo(spiffe(ns, w.pod().serviceAccount()));
    }
  }

  @Test
  void nodeClaimingAnotherServiceAccountOrNamespaceThanItsCertificateIsRefused() throws Exception {
    String ns = "wrong-identity";
    String other = "wrong-identity-other";
    mesh.namespace(ns, "STRICT");
    mesh.namespace(other, "STRICT");
    Workload server = echoServer(ns);
    server.process().expectLine("SERVING", CONVERGE);
    // Pod runs as "frontend"; its agent holds a genuine mesh certificate for "intruder" of the same namespace.
    Workload wrongSa = clientWithCertificateOf(
        mesh.pod(ns, "wrong-sa-0", "frontend", "wrong-sa", 0), new WorkloadIdentity(ProxylessMesh.TRUST_DOMAIN, ns,
            "intruder"), LONG_TTL);
    // Pod in namespace ns; its certificate is for the same service account name, but of another namespace.
    Workload wrongNs = clientWithCertificateOf(
        mesh.pod(ns, "wrong-ns-0", "client", "wrong-ns", 0), new WorkloadIdentity(ProxylessMesh.TRUST_DOMAIN, other,
            "client"), LONG_TTL);
    Workload honest = client(ns, "client-0", "client");

    CallResult ok = callUntil(honest.process(), "Call", CallResult::ok, CONVERGE);
    assertThat(ok.ok()).as(ok.raw()).isTrue();

    assertRefused(wrongSa, "claims service account frontend");
    assertRefused(wrongNs, "may not receive config for namespace " + ns);
  }

  private static void assertRefused(Workload w, String reason) {
    XdsProxy proxy = w.xdsProxy();
    CallResult call = w.process().call("Call"); // the channel leaves idle: xDS resolution starts
    assertThat(call.ok()).as(call.raw()).isFalse();
    assertThat(call.code()).isEqualTo("UNAVAILABLE");
    awaitTrue(() -> !proxy.upstreamCloses().isEmpty(), CONVERGE);
    assertThat(proxy.upstreamCloses()).as(w.pod().name()).isNotEmpty().allSatisfy(c -> {
      assertThat(c.code()).isEqualTo(io.grpc.Status.Code.PERMISSION_DENIED);
      assertThat(c.description()).contains(reason);
    });
    // The TLS handshake succeeded (the certificate is genuine); the node's claim is what Gatehouse refused.
    assertThat(proxy.presentedSerials()).contains(w.agent().current().serialHex());
    System.out.println("REFUSED: " + w.pod().name() + ": " + proxy.upstreamCloses().get(0) + "; app sees " + call);
    assertThat(syncStatus(nodeId(w.pod()))).as("Gatehouse keeps no stream for " + w.pod().name()).isEmpty();
  }

  @Test
  void expiredCertificateIsRefusedInTheHandshakeAndARenewedOneIsServed() throws Exception {
    String ns = "expired";
    mesh.namespace(ns, "STRICT");
    Workload server = echoServer(ns);
    server.process().expectLine("SERVING", CONVERGE);
    MeshPod pod = mesh.pod(ns, "client-0", "client", "client-0", 0);
    mesh.cluster().pod(pod);
    // The agent gets a 2-second certificate and does not renew it (as if it had been stopped).
    WorkloadAgent agent = agent(pod, ProxylessMesh.identity(pod), Duration.ofSeconds(2));
    IssuedCertificate expiring = agent.obtainAndInstall();
    long wait = Duration.between(Instant.now(), expiring.notAfter()).toMillis() + 1500;
    Thread.sleep(Math.max(0, wait));
    assertThat(Instant.now()).isAfter(expiring.notAfter());

    Workload client = clientThroughProxy(pod, agent);
    XdsProxy proxy = client.xdsProxy();
    CallResult first = client.process().call("Call"); // the channel leaves idle: xDS resolution starts
    assertThat(first.ok()).as(first.raw()).isFalse();
    awaitTrue(() -> !proxy.upstreamCloses().isEmpty(), CONVERGE);
    List<XdsProxy.UpstreamClose> refused = proxy.upstreamCloses();
    assertThat(refused).isNotEmpty();
    System.out.println("EXPIRED: upstream closes with the expired certificate: " + refused);
    assertThat(refused).allSatisfy(c -> assertThat(c.code()).isEqualTo(io.grpc.Status.Code.UNAVAILABLE));
    assertThat(proxy.presentedSerials()).as("no stream got past the handshake").isEmpty();
    assertThat(proxy.dials()).as("no connection with the expired certificate became ready").isEmpty();
    assertThat(refused).isNotEmpty().allSatisfy(c -> assertThat(c.description()).contains("CERTIFICATE_EXPIRED"));
    assertThat(syncStatus(nodeId(pod))).isEmpty();
    assertThat(client.process().call("Call").ok()).isFalse();

    // The agent renews (an hour this time): the proxy dials with the fresh certificate and the app gets its config.
    IssuedCertificate fresh = agent(pod, ProxylessMesh.identity(pod), LONG_TTL).obtainAndInstall();
    CallResult ok = callUntil(client.process(), "Call", CallResult::ok, Duration.ofSeconds(40));
    assertThat(ok.ok()).as(ok.raw()).isTrue();
    assertThat(proxy.dials()).extracting(XdsProxy.Dial::serialHex).containsExactly(fresh.serialHex());
    assertThat(proxy.presentedSerials()).contains(fresh.serialHex()).doesNotContain(expiring.serialHex());
  }

  @Test
  void certificateRotationMidStreamReDialsAndConfigKeepsFlowing() throws Exception {
    String ns = "rotation";
    mesh.namespace(ns, "STRICT");
    Workload server = echoServer(ns);
    server.process().expectLine("SERVING", CONVERGE);
    // 12-second certificates: the agent renews every ~6 s, the proxy re-dials each time.
    Workload client = mesh.startClient(mesh.pod(ns, "client-0", "client", "client-0", 0),
        ProxylessMesh.target(ns, "echo", PORT), Duration.ofSeconds(12));
    CallResult first = callUntil(client.process(), "Call", CallResult::ok, CONVERGE);
    assertThat(first.ok()).as(first.raw()).isTrue();
    XdsProxy proxy = client.xdsProxy();
    IssuedCertificate initial = client.agent().issued().get(0);

    // Calls keep working while the certificate rotates at least twice and the first one expires.
    List<CallResult> during = new ArrayList<>();
    long until = System.nanoTime() + Duration.ofSeconds(40).toNanos();
    do {
      during.add(client.process().call("Call"));
      Thread.sleep(300);
    } while ((proxy.dials().size() < 3 || Instant.now().isBefore(initial.notAfter().plusSeconds(1)))
        && System.nanoTime() < until);
    List<XdsProxy.Dial> dials = proxy.dials();
    System.out.printf("ROTATION: %d dials %s, %d hand-offs, %d app xDS streams, %d calls meanwhile%n",
        dials.size(), dials, proxy.handOffs(), proxy.downstreamStreams(), during.size());
    assertThat(dials).hasSizeGreaterThanOrEqualTo(3);
    assertThat(dials.get(0).serialHex()).isEqualTo(initial.serialHex());
    assertThat(dials).extracting(XdsProxy.Dial::serialHex).doesNotHaveDuplicates();
    assertThat(proxy.handOffs()).isGreaterThanOrEqualTo(2);
    awaitTrue(() -> proxy.downstreamStreams() > proxy.handOffs(), Duration.ofSeconds(10));
    assertThat(proxy.downstreamStreams()).as("the app re-opened its xDS stream after each hand-off")
        .isGreaterThanOrEqualTo(3);
    assertThat(proxy.upstreamCloses()).as("Gatehouse ended no stream by itself").isEmpty();
    assertThat(Instant.now()).isAfter(initial.notAfter());
    assertThat(during).allSatisfy(r -> assertThat(r.ok()).as(r.raw()).isTrue());

    // The first certificate has expired; config still reaches the app, over the connection with a current one: the
    // Service's only endpoint moves to a new pod, and the client follows it (EDS pushed to the client's proxy).
    MeshPod replacement = mesh.pod(ns, "echo-1", "echo", "echo", PORT);
    Workload echo1 = mesh.startServer(replacement, LONG_TTL);
    echo1.process().expectLine("SERVING", CONVERGE);
    mesh.cluster().endpointsOf(ns, "echo", PORT, List.of(replacement));
    CallResult moved = callUntil(client.process(), "Call", r -> r.ok() && "echo-1".equals(r.pod()), CONVERGE);
    assertThat(moved.ok()).as(moved.raw()).isTrue();
    assertThat(moved.pod()).isEqualTo("echo-1");
    List<String> renewed = proxy.dials().stream().skip(1).map(XdsProxy.Dial::serialHex).toList();
    assertThat(proxy.presentedSerials()).as("streams on re-dialed connections present renewed certificates")
        .anyMatch(renewed::contains);
    assertThat(syncStatus(nodeId(client.pod())).orElseThrow().get("caller").getAsString())
        .isEqualTo(spiffe(ns, "client"));
  }

  // ---- fixtures -------------------------------------------------------------------------------------------------

  private static Workload echoServer(String ns) throws Exception {
    MeshPod pod = mesh.pod(ns, "echo-0", "echo", "echo", PORT);
    mesh.cluster().service(ns, "echo", PORT);
    Workload server = mesh.startServer(pod, LONG_TTL);
    mesh.cluster().endpointsOf(ns, "echo", PORT, List.of(pod));
    return server;
  }

  private static Workload client(String ns, String podName, String sa) throws Exception {
    return mesh.startClient(mesh.pod(ns, podName, sa, podName, 0), ProxylessMesh.target(ns, "echo", PORT), LONG_TTL);
  }

  /** A client pod whose agent holds a genuine certificate for {@code certIdentity}, renewed as usual. */
  private static Workload clientWithCertificateOf(MeshPod pod, WorkloadIdentity certIdentity, Duration ttl)
      throws Exception {
    mesh.cluster().pod(pod);
    WorkloadAgent agent = agent(pod, certIdentity, ttl);
    agent.start();
    return clientThroughProxy(pod, agent);
  }

  private static WorkloadAgent agent(MeshPod pod, WorkloadIdentity id, Duration ttl) {
    CaEndpoint ca = new CaEndpoint("127.0.0.1", mesh.gatehouse().securePort(), GatehouseUnderTest.CA_AUTHORITY,
        mesh.gatehouse().rootCertFor(pod.namespace(), Duration.ofSeconds(20)));
    WorkloadAgent agent = new WorkloadAgent(id, ca,
        () -> mesh.tokens().mint(id.namespace(), id.serviceAccount(), ProxylessMesh.CA_AUDIENCES, Duration.ofHours(1)),
        ttl, work.resolve("pods").resolve(pod.namespace()).resolve(pod.name()).resolve("certs"), Clock.systemUTC());
    extra.add(agent);
    return agent;
  }

  private static Workload clientThroughProxy(MeshPod pod, WorkloadAgent agent) throws Exception {
    XdsProxy proxy = mesh.xdsProxy(pod, agent.certificateDir());
    extra.add(proxy);
    Path bootstrap = GrpcXdsBootstrap.forPod(proxy.address(), pod.name(), pod.namespace(), pod.ip(),
            pod.serviceAccount(), pod.labels(), ProxylessMesh.CLUSTER_DOMAIN, agent.certificateDir())
        .writeTo(work.resolve("pods").resolve(pod.namespace()).resolve(pod.name()).resolve("bootstrap.json"));
    WorkloadProcess process =
        WorkloadProcess.client(pod.name(), bootstrap, ProxylessMesh.target(pod.namespace(), "echo", PORT));
    Workload w = new Workload(pod, agent, proxy, process);
    extra.add(0, w);
    return w;
  }

  private static String nodeId(MeshPod pod) {
    return "sidecar~" + pod.ip() + "~" + pod.name() + "." + pod.namespace() + "~" + pod.namespace() + ".svc."
        + ProxylessMesh.CLUSTER_DOMAIN;
  }

  /** The proxy's entry in Gatehouse's {@code /debug/syncz}, if it has an open stream. */
  private static java.util.Optional<JsonObject> syncStatus(String nodeId) {
    try {
      var response = mesh.gatehouse().get("/debug/syncz");
      assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
      for (JsonElement e : JsonParser.parseString(response.body()).getAsJsonArray()) {
        if (e.getAsJsonObject().get("nodeId").getAsString().equals(nodeId)) {
          return java.util.Optional.of(e.getAsJsonObject());
        }
      }
      return java.util.Optional.empty();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static CallResult callUntil(WorkloadProcess client, String method, Predicate<CallResult> until,
      Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    CallResult last;
    do {
      last = client.call(method);
      if (until.test(last)) {
        return last;
      }
      Thread.sleep(100);
    } while (System.nanoTime() < deadline);
    return last;
  }

  private static void awaitTrue(BooleanSupplier condition, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private static String spiffe(String ns, String sa) {
    return "spiffe://" + ProxylessMesh.TRUST_DOMAIN + "/ns/" + ns + "/sa/" + sa;
  }
}
