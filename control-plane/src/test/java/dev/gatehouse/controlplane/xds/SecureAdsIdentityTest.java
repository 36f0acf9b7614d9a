package dev.gatehouse.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.controlplane.grpc.GrpcServers;
import dev.gatehouse.controlplane.xds.SecurePortClients.WorkloadCertificate;
import dev.gatehouse.xds.ProxyResources;
import dev.gatehouse.xds.server.XdsServer;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;

/**
 * The identity check of ADS on the secure port, end to end: the application as it runs in file mode (examples/), real
 * TLS on 127.0.0.1, the CA's authenticators wired in by {@link XdsServerConfiguration}, and raw ADS streams from a
 * client holding a certificate the CA issued or a service-account token. The node's claimed namespace and service
 * account must match the proven identity (Istio: pilot/pkg/xds/authentication.go); without credentials the stream is
 * refused. The example pod shop/cart-0 runs as service account cart.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    args = "--config-dir=../examples",
    properties = {
      "gatehouse.grpc.secure-port=0",
      "gatehouse.grpc.plaintext-port=0",
      "gatehouse.state-dir=" + SecureAdsIdentityTest.STATE
    })
class SecureAdsIdentityTest {
  /** Shared with {@link IstioMetricNamesTest}: the same properties make Spring reuse one application context. */
  static final String STATE = "target/secure-port-test-state";
  private static final Node CART = TestAdsStream.sidecar("shop", "cart-0", "127.0.0.12", "cart");

  @Autowired GrpcServers servers;
  @Autowired XdsServer xds;

  private SecurePortClients clients;

  @BeforeEach
  void clients() {
    clients = new SecurePortClients(servers, Path.of(STATE));
  }

  @AfterEach
  void close() {
    clients.close();
  }

  @Test
  void clientCertificateMatchingTheNodeIsServed() throws Exception {
    WorkloadCertificate cert = clients.certificate("shop", "cart");
    TestAdsStream ads = new TestAdsStream(clients.secureChannel(cert));
    ads.subscribe(CART, ProxyResources.CLUSTER);
    DiscoveryResponse cds = ads.next();
    assertThat(cds.getTypeUrl()).isEqualTo(ProxyResources.CLUSTER);
    assertThat(cds.getResourcesCount()).isPositive();
    assertThat(xds.syncStatus()).anySatisfy(p -> {
      assertThat(p.nodeId()).isEqualTo(CART.getId());
      assertThat(p.caller()).isEqualTo("spiffe://cluster.local/ns/shop/sa/cart");
    });
    ads.close();
  }

  @Test
  void clientCertificateForAnotherNamespaceOrServiceAccountIsRefused() throws Exception {
    WorkloadCertificate cert = clients.certificate("shop", "cart");

    TestAdsStream otherNamespace = new TestAdsStream(clients.secureChannel(cert));
    otherNamespace.subscribe(TestAdsStream.sidecar("payments", "cart-0", "127.0.0.12", "cart"), ProxyResources.CLUSTER);
    Status s1 = otherNamespace.closed();
    assertThat(s1.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(s1.getDescription()).contains("namespace payments");

    TestAdsStream otherAccount = new TestAdsStream(clients.secureChannel(cert));
    otherAccount.subscribe(TestAdsStream.sidecar("shop", "frontend-0", "127.0.0.11", "frontend"), ProxyResources.CLUSTER);
    Status s2 = otherAccount.closed();
    assertThat(s2.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(s2.getDescription()).contains("service account frontend");
  }

  @Test
  void serviceAccountTokenIsHeldToTheSameRule() throws Exception {
    String cartToken = clients.token("shop", "cart");

    TestAdsStream ok = new TestAdsStream(SecurePortClients.withBearer(clients.secureChannel(null), cartToken));
    ok.subscribe(CART, ProxyResources.CLUSTER);
    assertThat(ok.next().getResourcesCount()).isPositive();
    ok.close();

    TestAdsStream otherNamespace =
        new TestAdsStream(SecurePortClients.withBearer(clients.secureChannel(null), cartToken));
    otherNamespace.subscribe(TestAdsStream.sidecar("payments", "cart-0", "127.0.0.12", "cart"), ProxyResources.CLUSTER);
    assertThat(otherNamespace.closed().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);

    TestAdsStream otherAccount =
        new TestAdsStream(SecurePortClients.withBearer(clients.secureChannel(null), cartToken));
    otherAccount.subscribe(TestAdsStream.sidecar("shop", "catalog-0", "127.0.0.13", "catalog"), ProxyResources.CLUSTER);
    assertThat(otherAccount.closed().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
  }

  @Test
  void correctlySignedTokenForAServiceAccountNotInTheConfigurationGetsNothing() throws Exception {
    // File mode has no TokenReview: the configuration directory decides which service accounts exist.
    assertThatThrownBy(() -> clients.certificate("ghost", "teller"))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
          assertThat(e.getStatus().getDescription())
              .contains("token is for ghost/teller but namespace ghost is not in the mesh configuration");
        });
    assertThatThrownBy(() -> clients.certificate("shop", "teller"))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getDescription())
            .contains("service account shop/teller is not in the mesh configuration"));

    TestAdsStream ghost = new TestAdsStream(
        SecurePortClients.withBearer(clients.secureChannel(null), clients.token("ghost", "teller")));
    ghost.subscribe(TestAdsStream.sidecar("ghost", "teller-0", "127.0.0.99", "teller"), ProxyResources.CLUSTER);
    Status refused = ghost.closed();
    assertThat(refused.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(refused.getDescription()).contains("namespace ghost is not in the mesh configuration");
  }

  @Test
  void secureStreamWithoutValidCredentialsIsUnauthenticated() throws Exception {
    TestAdsStream anonymous = new TestAdsStream(clients.secureChannel(null));
    anonymous.subscribe(CART, ProxyResources.CLUSTER);
    assertThat(anonymous.closed().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);

    Channel forged = SecurePortClients.withBearer(clients.secureChannel(null), "not-a-jwt");
    TestAdsStream badToken = new TestAdsStream(forged);
    badToken.subscribe(CART, ProxyResources.CLUSTER);
    assertThat(badToken.closed().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
  }

  @Test
  void plaintextPortServesWithoutCredentialsAsIstiodsDoes() throws Exception {
    TestAdsStream plain = new TestAdsStream(clients.plaintextChannel());
    plain.subscribe(CART, ProxyResources.CLUSTER);
    assertThat(plain.next().getResourcesCount()).isPositive();
    plain.close();
  }
}
