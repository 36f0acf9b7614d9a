package dev.gatehouse.xds.server;

import dev.gatehouse.api.istio.security.v1beta1.AuthorizationPolicy;
import dev.gatehouse.model.EndpointSliceInfo;
import dev.gatehouse.model.MeshConfig;
import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.model.NamespaceInfo;
import dev.gatehouse.model.Policy;
import dev.gatehouse.model.PolicyKind;
import dev.gatehouse.model.ResourceMeta;
import dev.gatehouse.model.ServiceInfo;
import dev.gatehouse.model.ServicePort;
import dev.gatehouse.model.Workload;
import java.util.List;
import java.util.Map;

/** Builders for small mesh snapshots in server tests. All addresses are loopback (127.0.0.0/8). */
final class TestMeshes {
  private TestMeshes() {}

  static MeshSnapshot.Builder mesh(long version) {
    return MeshSnapshot.builder(version, MeshConfig.defaults());
  }

  static Workload pod(String ns, String name, String sa, String ip, boolean proxyless) {
    ResourceMeta meta = new ResourceMeta("v1", "Pod", ns, name, null, "1", Map.of("app", name), Map.of(), "test");
    return new Workload(meta, sa, ip, List.of(), !proxyless, proxyless);
  }

  static NamespaceInfo namespace(String ns) {
    return new NamespaceInfo(ResourceMeta.of("Namespace", "", ns));
  }

  static ServiceInfo service(String ns, String name, int port) {
    return new ServiceInfo(ResourceMeta.of("Service", ns, name), name + "." + ns + ".svc.cluster.local",
        List.of(new ServicePort("grpc", port, "TCP", "", port, "")), Map.of("app", name), "");
  }

  static EndpointSliceInfo endpoints(String ns, String service, int port, String... ips) {
    List<EndpointSliceInfo.Endpoint> eps = new java.util.ArrayList<>();
    for (String ip : ips) {
      eps.add(new EndpointSliceInfo.Endpoint(List.of(ip), true, "", "", "zone-a", 1));
    }
    return new EndpointSliceInfo(ResourceMeta.of("EndpointSlice", ns, service + "-abc"), service,
        List.of(new EndpointSliceInfo.Port("grpc", port, "TCP", "")), eps);
  }

  static Policy<AuthorizationPolicy> allow(String ns, String name) {
    return new Policy<>(PolicyKind.AUTHORIZATION_POLICY, ResourceMeta.of("AuthorizationPolicy", ns, name),
        AuthorizationPolicy.newBuilder().setAction(AuthorizationPolicy.Action.ALLOW).build());
  }

  /** Hands {@code s} to the server and waits (at most 10 s) until the push of it completed. */
  static void pushAndAwait(XdsServer xds, MeshSnapshot s) throws InterruptedException {
    xds.onSnapshot(s);
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
    while (xds.pushedVersion() < s.version() && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    org.assertj.core.api.Assertions.assertThat(xds.pushedVersion()).as("pushed version").isEqualTo(s.version());
  }
}
