package dev.gatehouse.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.gatehouse.api.istio.security.v1beta1.AuthorizationPolicy;
import dev.gatehouse.controlplane.health.XdsProxiesHealthIndicator;
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
import dev.gatehouse.xds.AuthorizationFilters;
import dev.gatehouse.xds.ProxyResources;
import dev.gatehouse.xds.SnapshotTranslator;
import dev.gatehouse.xds.TranslationOptions;
import dev.gatehouse.xds.server.XdsServer;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.net.InetSocketAddress;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.setup.MockMvcBuilders;

/**
 * The xDS server as the control plane wires it (real translator, Micrometer events, debug controller), observed the
 * way an operator would: Prometheus meter names and the /debug endpoints, with a raw ADS stream as the proxy.
 */
class XdsObservabilityTest {
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private XdsServer xds;
  private Server grpc;
  private ManagedChannel channel;
  private MockMvc mvc;

  static MeshSnapshot mesh(long version, boolean withPolicy) {
    Workload web = new Workload(new ResourceMeta("v1", "Pod", "shop", "web-0", null, "1", Map.of("app", "web"),
        Map.of(), "test"), "web-sa", "127.0.0.41", List.of(new dev.gatehouse.model.ContainerPort("http", 8080, "TCP")),
        true, false);
    MeshSnapshot.Builder b = MeshSnapshot.builder(version, MeshConfig.defaults())
        .namespace(new NamespaceInfo(ResourceMeta.of("Namespace", "", "shop")))
        .workload(web)
        .service(new ServiceInfo(ResourceMeta.of("Service", "shop", "web"), "web.shop.svc.cluster.local",
            List.of(new ServicePort("http", 80, "TCP", "", 8080, "")), Map.of("app", "web"), "127.0.0.100"))
        .endpointSlice(new EndpointSliceInfo(ResourceMeta.of("EndpointSlice", "shop", "web-1"), "web",
            List.of(new EndpointSliceInfo.Port("http", 8080, "TCP", "")),
            List.of(new EndpointSliceInfo.Endpoint(List.of("127.0.0.41"), true, "web-0", "", "", 1))));
    if (withPolicy) {
      b.authorizationPolicy(new Policy<>(PolicyKind.AUTHORIZATION_POLICY,
          ResourceMeta.of("AuthorizationPolicy", "shop", "deny-all-shop"),
          AuthorizationPolicy.newBuilder().setAction(AuthorizationPolicy.Action.DENY)
              .addRules(dev.gatehouse.api.istio.security.v1beta1.Rule.getDefaultInstance()).build()));
    }
    return b.build();
  }

  @BeforeEach
  void start() throws Exception {
    TranslationOptions options = TranslationOptions.defaults();
    xds = XdsServer.builder(new SnapshotTranslator(options, AuthorizationFilters.forMesh(options)))
        .initialSnapshot(mesh(1, false)).nackBackoff(Duration.ofSeconds(30))
        .events(new MicrometerXdsEvents(meters)).build();
    XdsServerConfiguration.registerGauges(xds, meters);
    grpc = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addServices(xds.services()).build()
        .start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", grpc.getPort()).usePlaintext().build();
    mvc = MockMvcBuilders.standaloneSetup(new XdsDebugController(xds)).build();
  }

  @AfterEach
  void stop() throws Exception {
    channel.shutdownNow();
    grpc.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    xds.close();
  }

  @Test
  void metricsCountStreamsPushesRejectsAndConvergence() throws Exception {
    TestAdsStream proxy = new TestAdsStream(channel);
    proxy.subscribe(TestAdsStream.sidecar("shop", "web-0", "127.0.0.41", "web-sa"), ProxyResources.CLUSTER);
    DiscoveryResponse cds = proxy.next();
    assertThat(meters.get("pilot_xds").gauge().value()).isEqualTo(1);
    assertThat(meters.get("pilot_xds_pushes").tag("type", "cds").counter().count()).isEqualTo(1);
    assertThat(meters.get("pilot_xds_config_size_bytes").tag("type", "cds").summary().totalAmount()).isPositive();

    proxy.nack(cds, "refused");
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
        assertThat(meters.get("pilot_total_xds_rejects").tag("type", "cds").counter().count()).isEqualTo(1));
    // istiod's labels: the proxy ID and the gRPC code's Go name.
    assertThat(meters.get("pilot_xds_cds_reject").tag("node", "web-0.shop").tag("err", "InvalidArgument").gauge()
        .value()).isEqualTo(1);
    assertThat(meters.find("pilot_xds_lds_reject").gauges()).isEmpty();
    assertThat(meters.get("gatehouse_xds_proxies_rejecting").tag("type", "cds").gauge().value()).isEqualTo(1);
    assertThat(meters.get("gatehouse_xds_proxies_rejecting").tag("type", "lds").gauge().value()).isZero();
    org.springframework.boot.health.contributor.Health stuck = new XdsProxiesHealthIndicator(xds).health();
    assertThat(stuck.getStatus()).isEqualTo(org.springframework.boot.health.contributor.Status.UP);
    assertThat(stuck.getDetails()).containsEntry("stuckOnNack", 1).containsEntry("connectedStreams", 1);
    assertThat(stuck.getDetails().get("stuck").toString())
        .contains("proxy=shop/web-0", "type=" + ProxyResources.CLUSTER, "nackedVersion=" + cds.getVersionInfo(),
            "err=InvalidArgument", "error=refused", "outbound|80||web.shop.svc.cluster.local");

    xds.onSnapshot(mesh(2, false).toBuilder(2).service(new ServiceInfo(ResourceMeta.of("Service", "shop", "api"),
        "api.shop.svc.cluster.local", List.of(new ServicePort("http", 81, "TCP", "", 8081, "")), Map.of("app", "api"),
        "127.0.0.101")).build());
    DiscoveryResponse next = proxy.next();
    proxy.ack(next);
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
        assertThat(meters.get("pilot_proxy_convergence_time").timer().count()).isEqualTo(1));
    // The counter keeps its count; the proxy is no longer stuck.
    assertThat(meters.get("pilot_xds_cds_reject").tag("node", "web-0.shop").gauge().value()).isEqualTo(1);
    assertThat(meters.get("gatehouse_xds_proxies_rejecting").tag("type", "cds").gauge().value()).isZero();
    assertThat(new XdsProxiesHealthIndicator(xds).health().getDetails()).containsEntry("stuckOnNack", 0)
        .doesNotContainKey("stuck");
    assertThat(meters.get("pilot_xds_push_time").timer().count()).isGreaterThanOrEqualTo(1);

    proxy.close();
    await().atMost(Duration.ofSeconds(5)).until(() -> meters.get("pilot_xds").gauge().value() == 0);
  }

  @Test
  void rejectSeriesPerProxyAreBoundedAndTheRestCountedAsOther() {
    MicrometerXdsEvents events = new MicrometerXdsEvents(meters);
    for (int i = 0; i < MicrometerXdsEvents.MAX_REJECT_SERIES + 5; i++) {
      events.rejected(new dev.gatehouse.xds.server.Nack(ProxyResources.ROUTE, "v", 3, "bad", List.of(),
          java.time.Instant.EPOCH), "pod-" + i + ".ns");
    }
    events.rejected(new dev.gatehouse.xds.server.Nack(ProxyResources.ROUTE, "v", 3, "bad", List.of(),
        java.time.Instant.EPOCH), "pod-0.ns");
    assertThat(meters.find("pilot_xds_rds_reject").gauges()).hasSize(MicrometerXdsEvents.MAX_REJECT_SERIES + 1);
    assertThat(meters.get("pilot_xds_rds_reject").tag("node", MicrometerXdsEvents.OTHER_NODES).gauge().value())
        .isEqualTo(5);
    assertThat(meters.get("pilot_xds_rds_reject").tag("node", "pod-0.ns").gauge().value()).isEqualTo(2);
    assertThat(meters.get("pilot_total_xds_rejects").tag("type", "rds").counter().count())
        .isEqualTo(MicrometerXdsEvents.MAX_REJECT_SERIES + 6);
  }

  @Test
  void synczShowsSentAckedAndNackedVersionsPerType() throws Exception {
    TestAdsStream proxy = new TestAdsStream(channel);
    proxy.subscribe(TestAdsStream.sidecar("shop", "web-0", "127.0.0.41", "web-sa"), ProxyResources.CLUSTER);
    DiscoveryResponse cds = proxy.next();
    proxy.ack(cds);
    proxy.subscribe(TestAdsStream.sidecar("shop", "web-0", "127.0.0.41", "web-sa"), ProxyResources.LISTENER);
    DiscoveryResponse lds = proxy.next();
    proxy.nack(lds, "listener rejected: bad filter");
    await().atMost(Duration.ofSeconds(5)).until(() -> xds.syncStatus().get(0).types().stream()
        .anyMatch(t -> !t.nackedVersion().isEmpty()));

    mvc.perform(get("/debug/syncz").with(r -> { r.setRemoteAddr("127.0.0.1"); return r; }))
        .andExpect(status().isOk())
        .andExpect(jsonPath("$[0].nodeId").value("sidecar~127.0.0.41~web-0.shop~shop.svc.cluster.local"))
        .andExpect(jsonPath("$[0].workload").value("shop/web-0"))
        .andExpect(jsonPath("$[0].types[?(@.typeUrl=='" + ProxyResources.CLUSTER + "')].ackedVersion")
            .value(cds.getVersionInfo()))
        .andExpect(jsonPath("$[0].types[?(@.typeUrl=='" + ProxyResources.LISTENER + "')].nackedVersion")
            .value(lds.getVersionInfo()))
        .andExpect(jsonPath("$[0].types[?(@.typeUrl=='" + ProxyResources.LISTENER + "')].nackError")
            .value("listener rejected: bad filter"))
        .andExpect(jsonPath("$[0].types[?(@.typeUrl=='" + ProxyResources.LISTENER + "')].nackCode")
            .value("InvalidArgument"))
        .andExpect(jsonPath("$[0].types[?(@.typeUrl=='" + ProxyResources.LISTENER + "')].rejecting").value(true))
        .andExpect(jsonPath("$[0].stuckOnNack").value(true))
        .andExpect(jsonPath("$[0].lastNack.typeUrl").value(ProxyResources.LISTENER))
        .andExpect(jsonPath("$[0].lastNack.version").value(lds.getVersionInfo()))
        .andExpect(jsonPath("$[0].lastNack.error").value("listener rejected: bad filter"));

    mvc.perform(get("/debug/connections").with(r -> { r.setRemoteAddr("::1"); return r; }))
        .andExpect(status().isOk())
        .andExpect(jsonPath("$.totalClients").value(1))
        .andExpect(jsonPath("$.clients[0].caller").value("plaintext"));
  }

  @Test
  void configDumpShowsWhatTheProxyWouldGetNow() throws Exception {
    mvc.perform(get("/debug/config_dump").param("proxyID", "web-0.shop").with(r -> { r.setRemoteAddr("127.0.0.1"); return r; }))
        .andExpect(status().isOk())
        .andExpect(content().string(org.hamcrest.Matchers.containsString("web.shop.svc.cluster.local")))
        .andExpect(content().string(org.hamcrest.Matchers.containsString(ProxyResources.LISTENER)));
    mvc.perform(get("/debug/config_dump").param("proxyID", "nobody.shop").with(r -> { r.setRemoteAddr("127.0.0.1"); return r; }))
        .andExpect(status().isNotFound());
  }

  @Test
  void authorizationzListsPoliciesInEffectPerWorkload() throws Exception {
    xds.onSnapshot(mesh(2, true));
    await().atMost(Duration.ofSeconds(5)).until(() -> xds.pushedVersion() == 2);
    mvc.perform(get("/debug/authorizationz").with(r -> { r.setRemoteAddr("127.0.0.1"); return r; }))
        .andExpect(status().isOk())
        .andExpect(jsonPath("$[0].workload").value("shop/web-0"))
        .andExpect(jsonPath("$[0].policies[0].name").value("deny-all-shop"))
        .andExpect(jsonPath("$[0].policies[0].action").value("DENY"));
  }

  @Test
  void debugEndpointsRefuseNonLoopbackCallers() throws Exception {
    // A link-local peer address; MockMvc makes no connection.
    for (String path : List.of("/debug/syncz", "/debug/connections", "/debug/authorizationz")) {
      mvc.perform(get(path).with(r -> { r.setRemoteAddr("169.254.1.1"); return r; })).andExpect(status().isForbidden());
    }
    mvc.perform(get("/debug/config_dump").param("proxyID", "web-0.shop").with(r -> { r.setRemoteAddr("169.254.1.1"); return r; }))
        .andExpect(status().isForbidden());
  }
}
