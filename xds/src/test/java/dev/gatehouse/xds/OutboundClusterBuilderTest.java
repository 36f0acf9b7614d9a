package dev.gatehouse.xds;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.model.ObjectKey;
import dev.gatehouse.model.ServiceInfo;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The ISTIO_MUTUAL context, serialized once per identity set and completed with each cluster's SNI. */
class OutboundClusterBuilderTest {
  @Test
  void aContextWithItsSniAppendedIsByteForByteTheWholeContext() throws Exception {
    for (List<String> ids : List.of(List.<String>of(), List.of("spiffe://cluster.local/ns/a/sa/x",
        "spiffe://cluster.local/ns/a/sa/y"))) {
      UpstreamTlsContext common = MeshTls.sidecarIstioMutual("", ids, true);
      UpstreamTlsContext whole = common.toBuilder().setSni("outbound_.80_._.a.ns.svc.cluster.local").build();
      var appended = OutboundClusterBuilder.withSni(ProtoBytes.deterministic(common), whole.getSni());
      assertThat(appended).isEqualTo(ProtoBytes.deterministic(whole)).isEqualTo(whole.toByteString());
      assertThat(UpstreamTlsContext.parseFrom(appended)).isEqualTo(whole);
    }
  }

  @Test
  void clustersOfServicesWithTheSameIdentitiesGetTheirOwnSniAndTheSameSans() throws Exception {
    MeshSnapshot base = TranslationBenchmark.mesh(1, 0);
    ServiceInfo svc61 = base.services().get(ObjectKey.of("ns-3", "svc-61"));
    // A second service in front of the same pods: the same identities.
    MeshSnapshot s = base.toBuilder(2).service(new ServiceInfo(
        dev.gatehouse.model.ResourceMeta.of("Service", "ns-3", "alias"), "alias.ns-3.svc.cluster.local",
        svc61.ports(), svc61.selector(), "")).build();
    OutboundClusterBuilder b = new OutboundClusterBuilder(s, new PeerAuthenticationResolver(s),
        TranslationOptions.defaults());
    List<UpstreamTlsContext> contexts = new ArrayList<>();
    for (String svc : List.of("svc-61", "alias")) {
      ServiceInfo service = s.services().get(ObjectKey.of("ns-3", svc));
      Cluster c = b.sidecarCluster(service, service.ports().get(0), "", Optional.empty(), new ArrayList<>());
      var socket = c.getTransportSocketMatches(0).getTransportSocket();
      assertThat(socket.getTypedConfig().getTypeUrl())
          .isEqualTo("type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext");
      UpstreamTlsContext ctx = socket.getTypedConfig().unpack(UpstreamTlsContext.class);
      assertThat(ctx.getSni()).isEqualTo("outbound_.80_._." + service.fqdn());
      // What MeshTls builds for this service, with the ALPN Istio's istio.alpn filter writes on HTTP clusters.
      UpstreamTlsContext.Builder expected = MeshTls.sidecarIstioMutual(ctx.getSni(), b.serviceIdentities(service),
          false).toBuilder();
      expected.getCommonTlsContextBuilder().clearAlpnProtocols().addAllAlpnProtocols(MeshTls.OUTBOUND_HTTP_ALPN);
      assertThat(ctx).isEqualTo(expected.build());
      contexts.add(ctx);
    }
    assertThat(contexts.get(0).getCommonTlsContext()).isEqualTo(contexts.get(1).getCommonTlsContext());

    // A service without pods: no identities yet, so any identity of this mesh (not any certificate of the root).
    MeshSnapshot empty = s.toBuilder(3).service(new ServiceInfo(
        dev.gatehouse.model.ResourceMeta.of("Service", "ns-3", "nobody"), "nobody.ns-3.svc.cluster.local",
        svc61.ports(), java.util.Map.of("app", "none"), "")).build();
    OutboundClusterBuilder e = new OutboundClusterBuilder(empty, new PeerAuthenticationResolver(empty),
        TranslationOptions.defaults());
    ServiceInfo nobody = empty.services().get(ObjectKey.of("ns-3", "nobody"));
    UpstreamTlsContext none = e.sidecarCluster(nobody, nobody.ports().get(0), "", Optional.empty(), new ArrayList<>())
        .getTransportSocketMatches(0).getTransportSocket().getTypedConfig().unpack(UpstreamTlsContext.class);
    assertThat(none.getCommonTlsContext().getAlpnProtocolsList()).isEqualTo(MeshTls.OUTBOUND_HTTP_ALPN);
    assertThat(none.getCommonTlsContext().getCombinedValidationContext().getDefaultValidationContext()
        .getMatchTypedSubjectAltNamesList()).containsExactly(MeshTls.uriPrefix("spiffe://cluster.local/"));
    assertThat(contexts.get(0).getCommonTlsContext().getCombinedValidationContext().getDefaultValidationContext()
        .getMatchTypedSubjectAltNamesList()).isNotEmpty();
  }
}
