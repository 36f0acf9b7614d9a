package dev.gatehouse.xds;

import com.google.protobuf.Struct;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.Value;
import dev.gatehouse.model.EndpointSliceInfo;
import dev.gatehouse.model.LabelSelector;
import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.model.MtlsMode;
import dev.gatehouse.model.ObjectKey;
import dev.gatehouse.model.ServiceInfo;
import dev.gatehouse.model.ServicePort;
import dev.gatehouse.model.Workload;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.core.v3.Locality;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * ClusterLoadAssignments from EndpointSlices: one locality per zone, each with a {@code load_balancing_weight}
 * (grpc-java silently drops a locality without one), endpoint weights from the slice, and the auto-mTLS endpoint
 * metadata {@code envoy.transport_socket_match: {tlsMode: istio}}. Pure; thread-safe.
 */
public final class LoadAssignmentBuilder {
  private final MeshSnapshot snapshot;
  private final PeerAuthenticationResolver peerAuth;

  public LoadAssignmentBuilder(MeshSnapshot snapshot, PeerAuthenticationResolver peerAuth) {
    this.snapshot = snapshot;
    this.peerAuth = peerAuth;
  }

  /**
   * @param subsetLabels empty for the service-wide cluster; otherwise only endpoints whose pod matches them
   */
  public ClusterLoadAssignment build(
      String clusterName, ServiceInfo service, ServicePort port, Map<String, String> subsetLabels) {
    Map<String, List<LbEndpoint>> byZone = new TreeMap<>();
    for (EndpointSliceInfo slice : snapshot.endpointSlicesForService(service.key())) {
      Optional<EndpointSliceInfo.Port> slicePort =
          slice.ports().stream().filter(p -> p.name().equals(port.name())).findFirst();
      if (slicePort.isEmpty()) {
        continue;
      }
      int target = slicePort.get().port();
      for (EndpointSliceInfo.Endpoint e : slice.endpoints()) {
        Optional<Workload> pod = e.podName().isEmpty()
            ? Optional.empty()
            : snapshot.workload(ObjectKey.of(service.namespace(), e.podName()));
        if (!subsetLabels.isEmpty() && (pod.isEmpty() || !LabelSelector.matches(subsetLabels, pod.get().labels()))) {
          continue;
        }
        for (String ip : e.addresses()) {
          LbEndpoint.Builder lb = LbEndpoint.newBuilder()
              .setEndpoint(Endpoint.newBuilder().setAddress(EnvoyFilters.address(ip, target)))
              .setHealthStatus(e.ready() ? HealthStatus.HEALTHY : HealthStatus.UNHEALTHY)
              .setLoadBalancingWeight(UInt32Value.of(e.weight()));
          if (pod.isPresent() && acceptsMeshTls(pod.get(), target)) {
            lb.setMetadata(Metadata.newBuilder().putFilterMetadata(OutboundClusterBuilder.TRANSPORT_SOCKET_MATCH,
                Struct.newBuilder().putFields("tlsMode", Value.newBuilder().setStringValue("istio").build()).build()));
          }
          byZone.computeIfAbsent(e.zone(), z -> new ArrayList<>()).add(lb.build());
        }
      }
    }
    ClusterLoadAssignment.Builder cla = ClusterLoadAssignment.newBuilder().setClusterName(clusterName);
    byZone.forEach((zone, endpoints) -> {
      endpoints.sort(java.util.Comparator.comparing(
          (LbEndpoint lb) -> lb.getEndpoint().getAddress().getSocketAddress().getAddress())
          .thenComparingInt(lb -> lb.getEndpoint().getAddress().getSocketAddress().getPortValue()));
      int weight = endpoints.stream().mapToInt(lb -> lb.getLoadBalancingWeight().getValue()).sum();
      LocalityLbEndpoints.Builder l = LocalityLbEndpoints.newBuilder()
          .addAllLbEndpoints(endpoints)
          .setLoadBalancingWeight(UInt32Value.of(Math.max(1, weight)));
      // Always present, empty without a zone (as Istio's ConvertLocality): gRPC C-core refuses an EDS resource whose
      // LocalityLbEndpoints has no locality ("endpoints[0].locality: field not present"), and EndpointSlices on
      // single-zone clusters such as kind carry no zone. Envoy and grpc-java accept both.
      l.setLocality(zone.isEmpty() ? Locality.getDefaultInstance() : Locality.newBuilder().setZone(zone).build());
      cla.addEndpoints(l);
    });
    return cla.build();
  }

  /**
   * Istio takes tlsMode from the pod label {@code security.istio.io/tlsMode=istio}, which its injector sets. A
   * proxyless gRPC server only accepts mTLS where its mode is STRICT (grpc-java cannot serve PERMISSIVE, see
   * GrpcServerListenerBuilder), so Gatehouse marks such an endpoint only then: a sidecar caller then never sends
   * TLS a proxyless server in PERMISSIVE would refuse.
   */
  private boolean acceptsMeshTls(Workload pod, int port) {
    if (!"istio".equals(pod.labels().get(OutboundClusterBuilder.TLS_MODE_LABEL))) {
      return false;
    }
    return !pod.proxylessGrpc() || peerAuth.resolve(pod).modeFor(port) == MtlsMode.STRICT;
  }
}
