package dev.gatehouse.model;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A pod that may take part in the mesh.
 *
 * @param meta pod metadata (name, namespace, labels, annotations)
 * @param serviceAccount the pod's service account ("default" when unset)
 * @param ip pod IP; may be empty for a pod not yet scheduled
 * @param ports declared container ports
 * @param hasSidecar true when the pod has an Envoy sidecar: label {@code security.istio.io/tlsMode=istio} or a
 *     container named {@code istio-proxy}, and it is not proxyless gRPC (whose injection template sets both too)
 * @param proxylessGrpc true when the pod runs proxyless gRPC (annotation {@code inject.istio.io/templates}
 *     containing {@code grpc-agent} or {@code grpc-simple}, or {@code proxyless.gatehouse.dev/grpc: "true"})
 * @param probes the liveness/readiness/startup probes of its serving containers that connect to a port
 */
public record Workload(
    ResourceMeta meta,
    String serviceAccount,
    String ip,
    List<ContainerPort> ports,
    boolean hasSidecar,
    boolean proxylessGrpc,
    List<WorkloadProbe> probes) implements MeshObject {

  public Workload {
    Objects.requireNonNull(meta, "meta");
    serviceAccount = serviceAccount == null || serviceAccount.isBlank() ? "default" : serviceAccount;
    ip = ip == null ? "" : ip;
    ports = ports == null ? List.of() : List.copyOf(ports);
    probes = probes == null ? List.of() : List.copyOf(probes);
  }

  /** A workload without probes. */
  public Workload(
      ResourceMeta meta,
      String serviceAccount,
      String ip,
      List<ContainerPort> ports,
      boolean hasSidecar,
      boolean proxylessGrpc) {
    this(meta, serviceAccount, ip, ports, hasSidecar, proxylessGrpc, List.of());
  }

  public String name() {
    return meta.name();
  }

  public String namespace() {
    return meta.namespace();
  }

  public Map<String, String> labels() {
    return meta.labels();
  }

  public ObjectKey key() {
    return meta.key();
  }

  /** True when this workload terminates mesh mTLS itself (sidecar or proxyless gRPC with xDS credentials). */
  public boolean inMesh() {
    return hasSidecar || proxylessGrpc;
  }
}
