package io.grpc.xds;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Message;
import dev.gatehouse.xds.GoldenFiles;
import dev.gatehouse.xds.ProxyKind;
import dev.gatehouse.xds.ProxyResources;
import dev.gatehouse.xds.TranslationError;
import dev.gatehouse.xds.AuthorizationFilters;
import dev.gatehouse.xds.SnapshotTranslator;
import io.grpc.xds.client.Bootstrapper;
import io.grpc.xds.client.EnvoyProtoData;
import io.grpc.xds.client.XdsResourceType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Proxyless output is accepted by grpc-java's own resource parsers (the code that decides ACK or NACK in its xDS
 * client), fed exactly the bytes Gatehouse would send. Lives in package io.grpc.xds because those parsers are
 * package-private. The bootstrap declares certificate provider instance "default", as Istio's agent writes it.
 */
class GatehouseProxylessOutputTest {
  private static final Bootstrapper.ServerInfo SERVER = Bootstrapper.ServerInfo.create("127.0.0.1:15010", "insecure");
  private static final Bootstrapper.BootstrapInfo BOOTSTRAP = Bootstrapper.BootstrapInfo.builder()
      .servers(List.of(SERVER))
      .node(EnvoyProtoData.Node.newBuilder().setId("sidecar~127.0.0.41~client-1.front~front.svc.cluster.local").build())
      .certProviders(Map.of("default",
          Bootstrapper.CertificateProviderInfo.create("file_watcher", Map.of(
              "certificate_file", "/var/lib/istio/data/cert-chain.pem",
              "private_key_file", "/var/lib/istio/data/key.pem",
              "ca_certificate_file", "/var/lib/istio/data/root-cert.pem",
              "refresh_interval", "900s"))))
      .build();

  private static final TlsContextManager TLS =
      new io.grpc.xds.internal.security.TlsContextManagerImpl(BOOTSTRAP);

  private static XdsResourceType.Args args(Set<String> subscribed) {
    return new XdsResourceType.Args(SERVER, "1", "nonce-1", BOOTSTRAP, TLS, subscribed);
  }

  @Test
  void everyProxylessGoldenResourceIsAcceptedByGrpcJava() throws Exception {
    List<String> rejected = new ArrayList<>();
    int listeners = 0;
    int serverListeners = 0;
    int tlsServerChains = 0;
    int tlsClusters = 0;
    int localities = 0;
    for (Path in : GoldenFiles.inputs(Set.of("authz", "authn"))) {
      GoldenFiles.Scenario s = GoldenFiles.read(in);
      if (s.proxy().kind() != ProxyKind.PROXYLESS_GRPC) {
        continue;
      }
      ProxyResources r = new SnapshotTranslator(s.options(), AuthorizationFilters.forMesh(s.options()))
          .generate(s.snapshot(), s.proxy());
      for (Map.Entry<String, Message> e : r.of(ProxyResources.LISTENER).entrySet()) {
        var shaded = io.grpc.xds.shaded.io.envoyproxy.envoy.config.listener.v3.Listener.parseFrom(e.getValue().toByteArray());
        try {
          XdsListenerResource.LdsUpdate u = XdsListenerResource.getInstance().doParse(args(Set.of(e.getKey())), shaded);
          listeners++;
          if (u.listener() != null) {
            serverListeners++;
            assertThat(u.listener().filterChains()).hasSize(1);
            if (u.listener().filterChains().get(0).sslContextProviderSupplier() != null) {
              tlsServerChains++;
            }
          } else {
            assertThat(u.httpConnectionManager().rdsName()).isEqualTo(e.getKey());
          }
        } catch (XdsResourceType.ResourceInvalidException ex) {
          rejected.add(s.name() + " LDS " + e.getKey() + ": " + ex.getMessage());
        }
      }
      for (Map.Entry<String, Message> e : r.of(ProxyResources.ROUTE).entrySet()) {
        var shaded = io.grpc.xds.shaded.io.envoyproxy.envoy.config.route.v3.RouteConfiguration.parseFrom(e.getValue().toByteArray());
        try {
          XdsRouteConfigureResource.getInstance().doParse(args(Set.of(e.getKey())), shaded);
        } catch (XdsResourceType.ResourceInvalidException ex) {
          rejected.add(s.name() + " RDS " + e.getKey() + ": " + ex.getMessage());
        }
      }
      for (Map.Entry<String, Message> e : r.of(ProxyResources.CLUSTER).entrySet()) {
        var shaded = io.grpc.xds.shaded.io.envoyproxy.envoy.config.cluster.v3.Cluster.parseFrom(e.getValue().toByteArray());
        try {
          XdsClusterResource.CdsUpdate u = XdsClusterResource.getInstance().doParse(args(Set.of(e.getKey())), shaded);
          assertThat(u.clusterType()).isEqualTo(XdsClusterResource.CdsUpdate.ClusterType.EDS);
          if (u.upstreamTlsContext() != null) {
            tlsClusters++;
          }
        } catch (XdsResourceType.ResourceInvalidException ex) {
          rejected.add(s.name() + " CDS " + e.getKey() + ": " + ex.getMessage());
        }
      }
      for (Map.Entry<String, Message> e : r.of(ProxyResources.ENDPOINT).entrySet()) {
        var cla = (io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment) e.getValue();
        var shaded = io.grpc.xds.shaded.io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment.parseFrom(cla.toByteArray());
        try {
          XdsEndpointResource.EdsUpdate u = XdsEndpointResource.getInstance().doParse(args(Set.of(e.getKey())), shaded);
          // grpc-java silently drops a locality without load_balancing_weight: none may go missing.
          assertThat(u.localityLbEndpointsMap).as(e.getKey()).hasSize(cla.getEndpointsCount());
          localities += u.localityLbEndpointsMap.size();
        } catch (XdsResourceType.ResourceInvalidException ex) {
          rejected.add(s.name() + " EDS " + e.getKey() + ": " + ex.getMessage());
        }
      }
      for (TranslationError err : r.errors()) {
        assertThat(err.policy()).isNotBlank();
      }
    }
    assertThat(rejected).isEmpty();
    assertThat(listeners).isGreaterThan(20);
    assertThat(serverListeners).isGreaterThan(6);
    assertThat(tlsServerChains).as("STRICT server listeners carry TLS").isGreaterThanOrEqualTo(6);
    assertThat(tlsClusters).as("ISTIO_MUTUAL / STRICT-inferred clusters carry TLS").isGreaterThanOrEqualTo(2);
    assertThat(localities).isGreaterThan(10);
  }
}
