package dev.gatehouse.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.sun.net.httpserver.HttpServer;
import dev.gatehouse.api.istio.security.v1beta1.JWTRule;
import dev.gatehouse.api.istio.security.v1beta1.RequestAuthentication;
import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.model.Policy;
import dev.gatehouse.model.PolicyKind;
import dev.gatehouse.model.ResourceMeta;
import dev.gatehouse.model.ServiceInfo;
import dev.gatehouse.model.ServicePort;
import dev.gatehouse.xds.ProxyResources;
import dev.gatehouse.xds.SnapshotTranslator;
import dev.gatehouse.xds.TranslationOptions;
import dev.gatehouse.xds.authn.FailClosedJwks;
import dev.gatehouse.xds.authn.JwksResolver;
import dev.gatehouse.xds.authz.AuthzOptions;
import dev.gatehouse.xds.server.XdsServer;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtProvider;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.setup.MockMvcBuilders;

/**
 * The JWKS wiring as the control plane runs it: a key server on 127.0.0.1, the {@link JwksRefresher} between the
 * snapshots and the ADS server, the real translator, and a raw ADS stream as the sidecar, which sees the key set
 * inlined in its jwt_authn filter, the fail-closed key set while the key server fails, and a new push once it recovers.
 */
class JwksRefresherTest {
  private static final String KEYS =
      "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"served-key-1\",\"alg\":\"RS256\",\"e\":\"AQAB\",\"n\":\"AQAB\"}]}";
  private static final String ISSUER = "https://issuer.test";
  /** Tiny retries so recovery is seen within a second; the refresh interval is long, so only retries fetch again. */
  private static final JwksResolver.Timings FAST =
      new JwksResolver.Timings(Duration.ofSeconds(2), Duration.ofMinutes(10), Duration.ofMillis(100), Duration.ofMillis(20));

  private HttpServer keyServer;
  private final AtomicInteger keyStatus = new AtomicInteger(200);
  private final AtomicInteger keyRequests = new AtomicInteger();
  private String jwksUri;
  private JwksRefresher refresher;
  private XdsServer xds;
  private Server grpc;
  private ManagedChannel channel;

  @BeforeEach
  void startKeyServer() throws Exception {
    keyServer = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    keyServer.createContext("/keys", exchange -> {
      keyRequests.incrementAndGet();
      byte[] b = (keyStatus.get() == 200 ? KEYS : "{\"error\":\"down\"}").getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(keyStatus.get(), b.length);
      exchange.getResponseBody().write(b);
      exchange.close();
    });
    keyServer.start();
    jwksUri = "http://127.0.0.1:" + keyServer.getAddress().getPort() + "/keys";
  }

  /** The control plane's wiring (XdsServerConfiguration), with the given options and fetcher. */
  private void startControlPlane(TranslationOptions options, JwksResolver.JwksFetcher fetcher) throws Exception {
    refresher = new JwksRefresher(options, FAST, fetcher);
    xds = XdsServer.builder(new SnapshotTranslator(refresher::options)).nackBackoff(Duration.ofSeconds(30)).build();
    refresher.pushTo(xds::onSnapshot);
    grpc = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addServices(xds.services()).build()
        .start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", grpc.getPort()).usePlaintext().build();
  }

  @AfterEach
  void stop() throws Exception {
    if (channel != null) {
      channel.shutdownNow();
      grpc.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      xds.close();
      refresher.close();
    }
    keyServer.stop(0);
  }

  private static MeshSnapshot meshWithJwt(long version, String uri) {
    Policy<RequestAuthentication> ra = new Policy<>(PolicyKind.REQUEST_AUTHENTICATION,
        ResourceMeta.of("RequestAuthentication", "shop", "jwt"),
        RequestAuthentication.newBuilder()
            .addJwtRules(JWTRule.newBuilder().setIssuer(ISSUER).setJwksUri(uri))
            .build());
    return XdsObservabilityTest.mesh(version, false).toBuilder(version).requestAuthentication(ra).build();
  }

  private TestAdsStream listenersOfWeb() {
    TestAdsStream proxy = new TestAdsStream(channel);
    proxy.subscribe(TestAdsStream.sidecar("shop", "web-0", "127.0.0.41", "web-sa"), ProxyResources.LISTENER);
    return proxy;
  }

  /** The jwt_authn providers of every inbound HTTP chain in an LDS response (one per chain). */
  private static List<JwtProvider> jwtProviders(DiscoveryResponse lds) throws InvalidProtocolBufferException {
    List<JwtProvider> out = new ArrayList<>();
    for (Any a : lds.getResourcesList()) {
      Listener l = a.unpack(Listener.class);
      for (FilterChain c : l.getFilterChainsList()) {
        for (Filter f : c.getFiltersList()) {
          if (!f.getTypedConfig().is(HttpConnectionManager.class)) {
            continue;
          }
          for (HttpFilter h : f.getTypedConfig().unpack(HttpConnectionManager.class).getHttpFiltersList()) {
            if (h.getName().equals("envoy.filters.http.jwt_authn")) {
              out.addAll(h.getTypedConfig().unpack(JwtAuthentication.class).getProvidersMap().values());
            }
          }
        }
      }
    }
    return out;
  }

  /** The inline key set every jwt_authn provider of the response carries (asserting they all carry the same). */
  private static Optional<String> inlineKeySet(DiscoveryResponse lds) throws InvalidProtocolBufferException {
    List<JwtProvider> providers = jwtProviders(lds);
    assertThat(providers).isNotEmpty().allSatisfy(p -> assertThat(p.getIssuer()).isEqualTo(ISSUER));
    assertThat(providers).extracting(p -> p.getLocalJwks().getInlineString()).containsOnly(
        providers.get(0).getLocalJwks().getInlineString());
    return Optional.of(providers.get(0).getLocalJwks().getInlineString()).filter(s -> !s.isEmpty());
  }

  /** Reads LDS responses (acking each) until one satisfies {@code wanted}; returns it. */
  private static DiscoveryResponse nextUntil(TestAdsStream proxy, java.util.function.Predicate<DiscoveryResponse> wanted)
      throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline) {
      DiscoveryResponse r = proxy.next();
      proxy.ack(r);
      if (wanted.test(r)) {
        return r;
      }
    }
    throw new AssertionError("no matching LDS response within 20 s");
  }

  /** True when the response has jwt_authn providers and all of them inline {@code keySet}. */
  private static boolean carries(DiscoveryResponse lds, String keySet) {
    try {
      List<JwtProvider> providers = jwtProviders(lds);
      return !providers.isEmpty()
          && providers.stream().allMatch(p -> p.getLocalJwks().getInlineString().equals(keySet));
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void fetchedKeySetIsInlinedInTheSidecarsJwtFilterAndInConfigDump() throws Exception {
    startControlPlane(TranslationOptions.defaults(), JwksResolver.httpFetcher());
    refresher.onSnapshot(meshWithJwt(2, jwksUri));
    await().atMost(Duration.ofSeconds(10)).until(() -> xds.pushedVersion() == 2);
    TestAdsStream proxy = listenersOfWeb();

    DiscoveryResponse lds = nextUntil(proxy, r -> carries(r, KEYS));
    assertThat(jwtProviders(lds)).allSatisfy(p -> assertThat(p.hasRemoteJwks()).isFalse());

    MockMvc mvc = MockMvcBuilders.standaloneSetup(new XdsDebugController(xds)).build();
    mvc.perform(get("/debug/config_dump").param("proxyID", "web-0.shop").with(r -> { r.setRemoteAddr("127.0.0.1"); return r; }))
        .andExpect(status().isOk())
        .andExpect(content().string(org.hamcrest.Matchers.containsString("served-key-1")))
        .andExpect(content().string(org.hamcrest.Matchers.not(
            org.hamcrest.Matchers.containsString(FailClosedJwks.KEY_ID))));
    proxy.close();
  }

  @Test
  void failingKeyServerGetsTheFailClosedKeySetAndRecoveryPushesTheRealKeys() throws Exception {
    keyStatus.set(500);
    startControlPlane(TranslationOptions.defaults(), JwksResolver.httpFetcher());
    refresher.onSnapshot(meshWithJwt(2, jwksUri));
    await().atMost(Duration.ofSeconds(10)).until(() -> xds.pushedVersion() == 2);
    TestAdsStream proxy = listenersOfWeb();

    DiscoveryResponse failClosed = nextUntil(proxy, r -> carries(r, FailClosedJwks.JSON));
    int before = keyRequests.get();
    await().atMost(Duration.ofSeconds(10)).until(() -> keyRequests.get() >= before + 2); // retried, still failing
    assertThat(inlineKeySet(xdsListeners())).contains(FailClosedJwks.JSON);

    keyStatus.set(200);
    DiscoveryResponse recovered = nextUntil(proxy, r -> carries(r, KEYS));
    assertThat(recovered.getVersionInfo()).isNotEqualTo(failClosed.getVersionInfo());
    assertThat(xds.pushedVersion()).isEqualTo(2); // the same mesh snapshot, pushed again with the keys
    proxy.close();
  }

  @Test
  void unreachableKeyServerGetsTheFailClosedKeySet() throws Exception {
    keyServer.stop(0); // connection refused from now on
    AtomicReference<Throwable> failure = new AtomicReference<>();
    JwksResolver.JwksFetcher http = JwksResolver.httpFetcher();
    startControlPlane(TranslationOptions.defaults(), (uri, timeout) -> {
      try {
        return http.fetch(uri, timeout);
      } catch (java.io.IOException | RuntimeException e) {
        failure.set(e);
        throw e;
      }
    });
    refresher.onSnapshot(meshWithJwt(2, jwksUri));
    await().atMost(Duration.ofSeconds(10)).until(() -> xds.pushedVersion() == 2);
    TestAdsStream proxy = listenersOfWeb();
    await().atMost(Duration.ofSeconds(10)).until(() -> failure.get() != null);
    assertThat(inlineKeySet(nextUntil(proxy, r -> true))).contains(FailClosedJwks.JSON);
    assertThat(inlineKeySet(xdsListeners())).contains(FailClosedJwks.JSON);
    proxy.close();
  }

  @Test
  void remoteModeSendsRemoteJwksThroughTheKeyServiceClusterAndFetchesNothing() throws Exception {
    AtomicInteger fetches = new AtomicInteger();
    TranslationOptions remote = TranslationOptions.defaults().withAuthz(AuthzOptions.defaults().withRemoteJwks(true));
    startControlPlane(remote, (uri, timeout) -> {
      fetches.incrementAndGet();
      return KEYS;
    });
    String uri = "http://keys.auth.svc.cluster.local:8080/realms/mesh/certs";
    MeshSnapshot mesh = meshWithJwt(2, uri).toBuilder(2)
        .service(new ServiceInfo(ResourceMeta.of("Service", "auth", "keys"), "keys.auth.svc.cluster.local",
            List.of(new ServicePort("http", 8080, "TCP", "", 8080, "")), Map.of("app", "keys"), "127.0.0.102"))
        .build();
    refresher.onSnapshot(mesh);
    await().atMost(Duration.ofSeconds(10)).until(() -> xds.pushedVersion() == 2);

    TestAdsStream proxy = listenersOfWeb();
    List<JwtProvider> providers = jwtProviders(nextUntil(proxy, r -> true));
    assertThat(providers).isNotEmpty().allSatisfy(p -> {
      assertThat(p.hasLocalJwks()).isFalse();
      assertThat(p.getRemoteJwks().getHttpUri().getUri()).isEqualTo(uri);
      assertThat(p.getRemoteJwks().getHttpUri().getCluster()).isEqualTo("outbound|8080||keys.auth.svc.cluster.local");
    });
    proxy.subscribe(TestAdsStream.sidecar("shop", "web-0", "127.0.0.41", "web-sa"), ProxyResources.CLUSTER);
    DiscoveryResponse cds = proxy.next();
    List<String> clusters = new ArrayList<>();
    for (Any a : cds.getResourcesList()) {
      clusters.add(a.unpack(Cluster.class).getName());
    }
    assertThat(clusters).contains("outbound|8080||keys.auth.svc.cluster.local");
    assertThat(fetches.get()).isZero();
    proxy.close();
  }

  @Test
  void remoteModeInlinesKeySetsOfHostsOutsideTheMesh() throws Exception {
    // The loopback key server is no mesh service: no outbound cluster could reach it, so Gatehouse fetches it.
    TranslationOptions remote = TranslationOptions.defaults().withAuthz(AuthzOptions.defaults().withRemoteJwks(true));
    startControlPlane(remote, JwksResolver.httpFetcher());
    refresher.onSnapshot(meshWithJwt(2, jwksUri));
    await().atMost(Duration.ofSeconds(10)).until(() -> xds.pushedVersion() == 2);
    TestAdsStream proxy = listenersOfWeb();
    DiscoveryResponse lds = nextUntil(proxy, r -> carries(r, KEYS));
    assertThat(jwtProviders(lds)).allSatisfy(p -> assertThat(p.hasRemoteJwks()).isFalse());
    assertThat(keyRequests.get()).isPositive();
    proxy.close();
  }

  /** The listeners the server would hand web-0 now (the /debug/config_dump path), as an LDS response. */
  private DiscoveryResponse xdsListeners() {
    var id = xds.findProxy("web-0.shop").orElseThrow();
    var config = xds.configFor(id).orElseThrow();
    return DiscoveryResponse.newBuilder()
        .addAllResources(config.type(ProxyResources.LISTENER).named(
            List.copyOf(config.type(ProxyResources.LISTENER).resources().keySet())).resources())
        .build();
  }
}
