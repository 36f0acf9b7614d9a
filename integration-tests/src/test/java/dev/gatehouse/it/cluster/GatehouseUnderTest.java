package dev.gatehouse.it.cluster;

import dev.gatehouse.controlplane.GatehouseApplication;
import io.fabric8.kubernetes.api.model.ConfigMap;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Gatehouse started as the real Spring Boot application, in the test JVM, in Kubernetes mode against a
 * {@link MeshCluster}. The fabric8 client Gatehouse builds ({@code new KubernetesClientBuilder().build()}, "like
 * kubectl") is pointed at the mock API server through fabric8's system properties, so nothing in Gatehouse is
 * replaced. Ports are picked free on 127.0.0.1 before start. Everything binds to loopback.
 */
public final class GatehouseUnderTest implements AutoCloseable {
  public static final String CONTROL_PLANE_NAMESPACE = "istio-system";
  /** A DNS name Gatehouse's serving certificate carries by default (istio-agent's default CA address). */
  public static final String CA_AUTHORITY = "istiod.istio-system.svc";

  private final ConfigurableApplicationContext context;
  private final int httpPort;
  private final int securePort;
  private final int plaintextPort;
  private final MeshCluster cluster;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private GatehouseUnderTest(ConfigurableApplicationContext context, int http, int secure, int plaintext, MeshCluster cluster) {
    this.context = context;
    this.httpPort = http;
    this.securePort = secure;
    this.plaintextPort = plaintext;
    this.cluster = cluster;
  }

  /**
   * @param extraProperties further {@code key=value} settings, e.g. a CA TTL limit
   */
  public static GatehouseUnderTest start(MeshCluster cluster, Path stateDir, Map<String, String> extraProperties)
      throws IOException {
    System.setProperty("kubernetes.master", cluster.url());
    System.setProperty("kubernetes.auth.tryKubeConfig", "false");
    System.setProperty("kubernetes.auth.tryServiceAccount", "false");
    System.setProperty("kubernetes.namespace", CONTROL_PLANE_NAMESPACE);
    int http = freePort();
    int secure = freePort();
    int plaintext = freePort();
    Map<String, String> props = new LinkedHashMap<>();
    props.put("gatehouse.source", "kubernetes");
    props.put("gatehouse.namespace", CONTROL_PLANE_NAMESPACE);
    props.put("gatehouse.state-dir", stateDir.toString());
    props.put("gatehouse.ca.plugged-in.dir", stateDir.resolve("no-cacerts").toString());
    props.put("server.address", "127.0.0.1");
    props.put("server.port", Integer.toString(http));
    props.put("gatehouse.grpc.address", "127.0.0.1");
    props.put("gatehouse.grpc.plaintext-address", "127.0.0.1");
    props.put("gatehouse.grpc.secure-port", Integer.toString(secure));
    props.put("gatehouse.grpc.plaintext-port", Integer.toString(plaintext));
    props.putAll(extraProperties);
    List<String> args = new ArrayList<>();
    props.forEach((k, v) -> args.add("--" + k + "=" + v));
    ConfigurableApplicationContext context =
        new SpringApplicationBuilder(GatehouseApplication.class)
            .listeners(SerialLoggingInitialization.listeners().toArray(ApplicationListener[]::new))
            .run(args.toArray(String[]::new));
    GatehouseUnderTest gatehouse = new GatehouseUnderTest(context, http, secure, plaintext, cluster);
    gatehouse.awaitReady(Duration.ofSeconds(60));
    return gatehouse;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return s.getLocalPort();
    }
  }

  public ConfigurableApplicationContext context() {
    return context;
  }

  public int securePort() {
    return securePort;
  }

  public int plaintextPort() {
    return plaintextPort;
  }

  /** {@code 127.0.0.1:<plaintext xDS port>}, what the grpc bootstraps point at. */
  public String plaintextXdsAddress() {
    return "127.0.0.1:" + plaintextPort;
  }

  private void awaitReady(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "";
    while (System.nanoTime() < deadline) {
      try {
        HttpResponse<String> r = get("/actuator/health/readiness");
        if (r.statusCode() == 200) {
          return;
        }
        last = r.statusCode() + " " + r.body();
      } catch (IOException e) {
        last = e.toString();
      }
      sleep(200);
    }
    throw new IllegalStateException("Gatehouse not ready within " + timeout + ": " + last);
  }

  /**
   * Whether Gatehouse's ADS server receives the config source's snapshots: true once it has pushed one. The
   * scenarios are meaningless without it (every proxy would get only the empty initial config).
   */
  public boolean adsServerReceivesSnapshots(Duration timeout) {
    dev.gatehouse.xds.server.XdsServer xds = context.getBean(dev.gatehouse.xds.server.XdsServer.class);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (xds.pushedVersion() >= 0) {
        return true;
      }
      sleep(100);
    }
    return false;
  }

  /** GET on Gatehouse's HTTP (monitoring/debug) port. */
  public HttpResponse<String> get(String path) throws IOException {
    try {
      return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
          .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }

  /**
   * The mesh root as a pod gets it: the {@code istio-ca-root-cert} ConfigMap Gatehouse publishes in every namespace
   * (istio-agent reads it from its mount). Waits for it to appear.
   */
  public String rootCertFor(String namespace, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      ConfigMap cm = cluster.configMap(namespace, "istio-ca-root-cert");
      if (cm != null && cm.getData() != null && cm.getData().get("root-cert.pem") != null) {
        return cm.getData().get("root-cert.pem");
      }
      sleep(100);
    }
    throw new AssertionError("Gatehouse did not publish ConfigMap istio-ca-root-cert in namespace " + namespace
        + " within " + timeout);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    context.close();
  }
}
