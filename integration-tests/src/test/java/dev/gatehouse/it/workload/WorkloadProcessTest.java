package dev.gatehouse.it.workload;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.it.agent.GrpcXdsBootstrap;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher itself: a workload JVM starts from the test classpath with its own bootstrap, takes commands on
 * stdin and reports what its application saw, and an xDS client with no reachable control plane fails its calls
 * instead of hanging.
 */
class WorkloadProcessTest {
  @TempDir Path dir;

  @Test
  void clientJvmReportsWhatItsApplicationSees() throws Exception {
    Server echo = io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder.forAddress(
            new java.net.InetSocketAddress("127.0.0.1", 0), InsecureServerCredentials.create())
        .addService(Echo.service(m -> "pod=local method=" + m + " peer=none peerSerial=none"))
        .build().start();
    Path bootstrap = GrpcXdsBootstrap.forPod("127.0.0.1:1", "c", "ns", "127.0.0.30", "sa", Map.of(), "cluster.local",
        null).writeTo(dir.resolve("bootstrap.json"));
    try (WorkloadProcess client = WorkloadProcess.client("plain-client", bootstrap, "127.0.0.1:" + echo.getPort())) {
      client.expectLine("READY", Duration.ofSeconds(30));

      CallResult ok = client.call("Call");
      assertThat(ok.ok()).as(ok.raw()).isTrue();
      assertThat(ok.pod()).isEqualTo("local");
      assertThat(ok.fields()).containsEntry("method", "Call").containsEntry("server", "none");

      CallResult missing = client.call("NoSuchMethod");
      assertThat(missing.code()).isEqualTo("UNIMPLEMENTED");
    } finally {
      echo.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void xdsClientWithoutControlPlaneFailsUnavailable() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      closedPort = s.getLocalPort();
    }
    Path bootstrap = GrpcXdsBootstrap.forPod("127.0.0.1:" + closedPort, "c", "ns", "127.0.0.31", "sa", Map.of(),
        "cluster.local", dir.resolve("certs")).writeTo(dir.resolve("bootstrap.json"));
    try (WorkloadProcess client = WorkloadProcess.client("orphan-client", bootstrap,
        "xds:///echo.ns.svc.cluster.local:8080")) {
      client.expectLine("READY", Duration.ofSeconds(30));
      CallResult result = client.call("Call");
      assertThat(result.ok()).isFalse();
      assertThat(result.code()).as(result.raw()).isIn("UNAVAILABLE", "DEADLINE_EXCEEDED");
    }
  }
}
