package dev.gatehouse.it.ca;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.it.ProxylessMesh;
import dev.gatehouse.it.ProxylessMesh.Workload;
import dev.gatehouse.it.agent.IssuedCertificate;
import dev.gatehouse.it.agent.WorkloadAgent;
import dev.gatehouse.it.cluster.MeshPod;
import dev.gatehouse.it.workload.CallResult;
import io.fabric8.kubernetes.api.model.ConfigMap;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The upstream CA's root rotates under a running proxyless mesh; one run per upstream (Vault, SPIRE). Echo server and
 * client pods (grpc-java, each in its own JVM, mTLS through {@code file_watcher} certificates) have agents that follow
 * the CA's roots as istio-agent does ({@link WorkloadAgent.RootSource#CA_ANSWER}: {@code root-cert.pem} is the root
 * element of each CreateCertificate answer; the agent trusts the {@code istio-ca-root-cert} ConfigMap). Their
 * certificates live {@link #CERT_TTL}, so each phase reaches them at their next renewal. Meanwhile the client calls
 * the server every few hundred milliseconds, alternating calls on its channel with calls on a new channel (a new TLS
 * handshake with the certificate files current at that moment): none may fail.
 *
 * <ol>
 *   <li>The upstream adds its next root beside the current one: the ConfigMap and both workloads' root files hold
 *       both. A third pod ("legacy", whose agent then stops renewing) is issued now: an old-root certificate
 *       trusting both.
 *   <li>The upstream signs with the next root: both workloads' next certificates chain to it; the legacy pod's
 *       old-root certificate is still accepted by the server holding a new-root certificate.
 *   <li>The upstream drops the old root: the ConfigMap and both root files hold only the new root; the legacy pod's
 *       old-root certificate is refused on a new connection (fail closed), while the client's fresh calls work, and
 *       the legacy pod recovers with its next certificate.
 * </ol>
 */
final class BundleRotationScenario {
  private static final Logger log = LoggerFactory.getLogger(BundleRotationScenario.class);
  static final int PORT = 8080;
  /** Renewed at half-life: every workload has a new certificate (and root file) within about 10 s of a change. */
  static final Duration CERT_TTL = Duration.ofSeconds(20);
  private static final Duration LONG_TTL = Duration.ofHours(1);
  private static final Duration CONVERGE = Duration.ofSeconds(20);

  /** What the upstream does, in its own API's terms. */
  interface Upstream {
    /** The root everything chains to at the start. */
    X509Certificate currentRoot();

    /** The next root joins the upstream's trust bundle (it does not sign yet); returns it. */
    X509Certificate addNextRoot();

    /** The next root signs from now on. */
    void signWithNextRoot();

    /** The old root leaves the upstream's trust bundle. */
    void removeOldRoot();

    /** How long after {@link #signWithNextRoot} Gatehouse's answers can still chain to the old root. */
    Duration signerSwitchDelay();
  }

  private record TimedCall(Instant at, boolean fresh, CallResult result) {}

  private final ProxylessMesh mesh;
  private final Upstream upstream;
  private final String ns;
  private final List<TimedCall> calls = new CopyOnWriteArrayList<>();
  private final AtomicBoolean stopCalls = new AtomicBoolean();

  BundleRotationScenario(ProxylessMesh mesh, Upstream upstream, String namespace) {
    this.mesh = mesh;
    this.upstream = upstream;
    this.ns = namespace;
  }

  void run() throws Exception {
    X509Certificate oldRoot = upstream.currentRoot();
    mesh.namespace(ns, "STRICT");
    mesh.cluster().service(ns, "echo", PORT);
    MeshPod serverPod = mesh.pod(ns, "echo-0", "echo", "echo", PORT);
    Workload server = mesh.startServer(serverPod, CERT_TTL, WorkloadAgent.RootSource.CA_ANSWER);
    mesh.cluster().endpointsOf(ns, "echo", PORT, List.of(serverPod));
    String target = ProxylessMesh.target(ns, "echo", PORT);
    Workload client = mesh.startClient(mesh.pod(ns, "client-0", "client", "client", 0), target, CERT_TTL,
        WorkloadAgent.RootSource.CA_ANSWER);
    server.process().expectLine("SERVING", CONVERGE);
    CallResult first = callUntilOk(client, CONVERGE);
    assertThat(first.ok()).as(first.raw()).isTrue();
    assertThat(first.peerSeenByServer()).isEqualTo("spiffe://cluster.local/ns/" + ns + "/sa/client");
    assertThat(configMapRoots()).containsExactly(oldRoot);
    for (Workload w : List.of(server, client)) {
      assertThat(w.agent().current().root()).as(w.pod().name()).isEqualTo(oldRoot);
      assertThat(installedRoots(w)).as(w.pod().name()).containsExactly(oldRoot);
    }
    Thread caller = startCalling(client);
    X509Certificate newRoot;
    Workload legacy;
    try {
      // 1. The next root joins the bundle.
      newRoot = upstream.addNextRoot();
      log.info("phase 1: next root {} added beside {}", newRoot.getSubjectX500Principal(), oldRoot.getSubjectX500Principal());
      await("ConfigMap istio-ca-root-cert holds both roots", Duration.ofSeconds(15),
          () -> sameRoots(configMapRoots(), List.of(oldRoot, newRoot)), this::configMapRoots);
      for (Workload w : List.of(server, client)) {
        await(w.pod().name() + "'s root-cert.pem holds both roots", CERT_TTL.plusSeconds(10),
            () -> sameRoots(installedRoots(w), List.of(oldRoot, newRoot)), () -> describe(w));
      }
      legacy = mesh.startClient(mesh.pod(ns, "legacy-0", "legacy", "legacy", 0), target, LONG_TTL,
          WorkloadAgent.RootSource.CA_ANSWER);
      // It keeps this certificate: in intermediate mode a leaf lives at most as long as Gatehouse's intermediate, and
      // its agent would otherwise renew it at half of that.
      legacy.agent().stopRenewing();
      assertThat(legacy.agent().current().root()).as("the legacy pod's certificate chains to the old root")
          .isEqualTo(oldRoot);
      assertThat(legacy.agent().current().roots()).containsExactlyInAnyOrder(oldRoot, newRoot);
      assertThat(callUntilOk(legacy, CONVERGE).ok()).isTrue();

      // 2. The next root signs.
      upstream.signWithNextRoot();
      log.info("phase 2: {} signs", newRoot.getSubjectX500Principal());
      for (Workload w : List.of(server, client)) {
        await(w.pod().name() + "'s certificate chains to the new root",
            upstream.signerSwitchDelay().plus(CERT_TTL).plusSeconds(10),
            () -> w.agent().current().root().equals(newRoot), () -> describe(w));
      }
      awaitFileWatcherRefresh();
      CallResult fresh = client.process().callOnNewConnection("Call");
      assertThat(fresh.ok()).as(fresh.raw()).isTrue();
      assertThat(fresh.peerSerialSeenByServer()).as("the server accepted the client's new-root certificate")
          .isIn(serials(client));
      assertThat(fresh.fields().get("serverSerial")).as("the client accepted the server's new-root certificate")
          .isIn(serials(server));
      CallResult legacyCall = legacy.process().callOnNewConnection("Call");
      assertThat(legacyCall.ok()).as("an old-root certificate is accepted while both roots are trusted: "
          + legacyCall.raw()).isTrue();
      assertThat(legacyCall.peerSerialSeenByServer()).isEqualTo(legacy.agent().current().serialHex());

      // 3. The old root leaves.
      upstream.removeOldRoot();
      log.info("phase 3: old root {} removed", oldRoot.getSubjectX500Principal());
      await("ConfigMap istio-ca-root-cert holds only the new root", Duration.ofSeconds(15),
          () -> sameRoots(configMapRoots(), List.of(newRoot)), this::configMapRoots);
      for (Workload w : List.of(server, client)) {
        await(w.pod().name() + "'s root-cert.pem holds only the new root", CERT_TTL.plusSeconds(10),
            () -> sameRoots(installedRoots(w), List.of(newRoot)), () -> describe(w));
      }
      awaitFileWatcherRefresh();
    } finally {
      stopCalls.set(true);
      caller.join(20_000);
    }
    List<TimedCall> failed = calls.stream().filter(c -> !c.result().ok()).toList();
    log.info("rotation done: {} calls, {} on new connections, {} failed", calls.size(),
        calls.stream().filter(TimedCall::fresh).count(), failed.size());
    assertThat(failed).as("calls across the rotation (%d made, %d on new connections)", calls.size(),
        calls.stream().filter(TimedCall::fresh).count()).isEmpty();
    assertThat(calls.stream().filter(TimedCall::fresh).count()).as("new connections made across the rotation")
        .isGreaterThanOrEqualTo(10);

    // The legacy pod still holds its old-root certificate (long TTL); the server now trusts only the new root.
    Workload legacyPod = legacy;
    assertThat(legacyPod.agent().current().root()).isEqualTo(oldRoot);
    assertThat(legacyPod.agent().current().notAfter()).as("refused for its root, not for its age")
        .isAfter(Instant.now().plusSeconds(30));
    for (int i = 0; i < 3; i++) {
      CallResult refused = legacyPod.process().callOnNewConnection("Call");
      assertThat(refused.ok()).as("an old-root certificate after the old root left the bundle: " + refused.raw())
          .isFalse();
      assertThat(refused.code()).isEqualTo("UNAVAILABLE");
    }
    CallResult control = client.process().callOnNewConnection("Call");
    assertThat(control.ok()).as("the client's new-root certificate on a new connection: " + control.raw()).isTrue();

    // The legacy pod's next certificate chains to the new root, and it is admitted again.
    IssuedCertificate renewed = legacyPod.agent().obtainAndInstall();
    assertThat(renewed.root()).isEqualTo(newRoot);
    assertThat(renewed.roots()).containsExactly(newRoot);
    awaitFileWatcherRefresh();
    CallResult recovered = callUntilOk(legacyPod, CONVERGE);
    assertThat(recovered.ok()).as(recovered.raw()).isTrue();
    assertThat(recovered.peerSerialSeenByServer()).isEqualTo(renewed.serialHex());
  }

  private Thread startCalling(Workload client) {
    Thread t = new Thread(() -> {
      boolean fresh = false;
      while (!stopCalls.get()) {
        CallResult r = fresh ? client.process().callOnNewConnection("Call") : client.process().call("Call");
        calls.add(new TimedCall(Instant.now(), fresh, r));
        if (!r.ok()) {
          log.warn("call failed during the rotation (fresh connection: {}): {}", fresh, r.raw());
        }
        fresh = !fresh;
        sleep(250);
      }
    }, "bundle-rotation-calls");
    t.setDaemon(true);
    t.start();
    return t;
  }

  private List<X509Certificate> configMapRoots() {
    ConfigMap cm = mesh.cluster().configMap(ns, "istio-ca-root-cert");
    if (cm == null || cm.getData() == null || cm.getData().get("root-cert.pem") == null) {
      return List.of();
    }
    return WorkloadAgent.Pem.certificates(cm.getData().get("root-cert.pem"));
  }

  /** What the workload's grpc file_watcher provider reads as its trust roots. */
  private static List<X509Certificate> installedRoots(Workload w) {
    try {
      return WorkloadAgent.Pem.certificates(Files.readString(w.agent().certificateDir().resolve(WorkloadAgent.ROOT_CERT)));
    } catch (NoSuchFileException e) {
      return List.of();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<String> serials(Workload w) {
    return w.agent().issued().stream().map(IssuedCertificate::serialHex).toList();
  }

  private static String describe(Workload w) {
    IssuedCertificate c = w.agent().current();
    return "certificate serial " + c.serialHex() + " under " + c.root().getSubjectX500Principal() + ", root file "
        + installedRoots(w).stream().map(r -> r.getSubjectX500Principal().getName()).toList()
        + ", certificates issued " + w.agent().issued().size() + ", last agent error '" + w.agent().lastError() + "'";
  }

  private static boolean sameRoots(List<X509Certificate> actual, List<X509Certificate> expected) {
    return actual.size() == expected.size() && actual.containsAll(expected);
  }

  private static CallResult callUntilOk(Workload w, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    CallResult last;
    do {
      last = w.process().callOnNewConnection("Call");
      if (last.ok()) {
        return last;
      }
      sleep(200);
    } while (System.nanoTime() < deadline);
    return last;
  }

  /** grpc's file_watcher provider re-reads the files every second (GrpcXdsBootstrap's refresh_interval). */
  private static void awaitFileWatcherRefresh() {
    sleep(2_500);
  }

  private static void await(String what, Duration timeout, Supplier<Boolean> condition, Supplier<Object> state) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (condition.get()) {
        return;
      }
      sleep(200);
    }
    throw new AssertionError("not within " + timeout + ": " + what + "; now: " + state.get());
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
