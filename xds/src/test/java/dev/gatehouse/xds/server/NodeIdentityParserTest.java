package dev.gatehouse.xds.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.gatehouse.model.ObjectKey;
import dev.gatehouse.xds.ProxyIdentity;
import dev.gatehouse.xds.ProxyKind;
import io.envoyproxy.envoy.config.core.v3.Node;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NodeIdentityParserTest {
  private static Value s(String v) {
    return Value.newBuilder().setStringValue(v).build();
  }

  @Test
  void istioSidecarNodeWithMetadata() {
    Node node = Node.newBuilder()
        .setId("sidecar~127.0.0.7~reviews-v1-7d8f.bookinfo~bookinfo.svc.cluster.local")
        .setMetadata(Struct.newBuilder()
            .putFields("NAMESPACE", s("bookinfo"))
            .putFields("SERVICE_ACCOUNT", s("bookinfo-reviews"))
            .putFields("INTERCEPTION_MODE", s("REDIRECT"))
            .putFields("LABELS", Value.newBuilder().setStructValue(Struct.newBuilder()
                .putFields("app", s("reviews")).putFields("version", s("v1"))).build()))
        .build();
    ProxyIdentity id = NodeIdentityParser.parse(node);
    assertThat(id.kind()).isEqualTo(ProxyKind.SIDECAR);
    assertThat(id.workload()).isEqualTo(ObjectKey.of("bookinfo", "reviews-v1-7d8f"));
    assertThat(id.ip()).isEqualTo("127.0.0.7");
    assertThat(id.serviceAccount()).isEqualTo("bookinfo-reviews");
    assertThat(id.labels()).isEqualTo(Map.of("app", "reviews", "version", "v1"));
  }

  @Test
  void istioProxylessGrpcBootstrapNode() {
    Node node = Node.newBuilder()
        .setId("sidecar~127.0.0.8~echo-0.echo-grpc~echo-grpc.svc.cluster.local")
        .setUserAgentName("gRPC Java")
        .setMetadata(Struct.newBuilder().putFields("GENERATOR", s("grpc")).putFields("NAMESPACE", s("echo-grpc")))
        .build();
    ProxyIdentity id = NodeIdentityParser.parse(node);
    assertThat(id.kind()).isEqualTo(ProxyKind.PROXYLESS_GRPC);
    assertThat(id.workload()).isEqualTo(ObjectKey.of("echo-grpc", "echo-0"));
  }

  @Test
  void namespaceFromDnsDomainWhenMetadataHasNone() {
    ProxyIdentity id = NodeIdentityParser.parse(Node.newBuilder().setId("sidecar~127.0.0.9~web.a.b.prod~prod.svc.cluster.local").build());
    assertThat(id.workload()).isEqualTo(ObjectKey.of("prod", "web.a.b"));
    assertThat(id.namespace()).isEqualTo("prod");
  }

  @Test
  void plainGrpcNodeIdWithMetadata() {
    Node node = Node.newBuilder().setId("client-1").setUserAgentName("gRPC Java")
        .setMetadata(Struct.newBuilder().putFields("NAMESPACE", s("shop")).putFields("INSTANCE_IPS", s("127.0.0.4,::1")))
        .build();
    ProxyIdentity id = NodeIdentityParser.parse(node);
    assertThat(id.kind()).isEqualTo(ProxyKind.PROXYLESS_GRPC);
    assertThat(id.workload()).isEqualTo(ObjectKey.of("shop", "client-1"));
    assertThat(id.ip()).isEqualTo("127.0.0.4");
  }

  @Test
  void plainIdWithNamespaceSuffix() {
    ProxyIdentity id = NodeIdentityParser.parse(Node.newBuilder().setId("client-1.shop").build());
    assertThat(id.workload()).isEqualTo(ObjectKey.of("shop", "client-1"));
    assertThat(id.kind()).isEqualTo(ProxyKind.SIDECAR);
  }

  @Test
  void nodesNamingNoWorkloadAreRejected() {
    assertThatThrownBy(() -> NodeIdentityParser.parse(Node.getDefaultInstance()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty id");
    assertThatThrownBy(() -> NodeIdentityParser.parse(Node.newBuilder().setId("lonely").build()))
        .hasMessageContaining("no namespace");
    assertThatThrownBy(() -> NodeIdentityParser.parse(Node.newBuilder().setId("a~b~c").build()))
        .hasMessageContaining("neither");
  }

  @Test
  void spiffeIdsParseOnlyInTheirCanonicalForm() {
    assertThat(CallerIdentity.fromSpiffeId("spiffe://cluster.local/ns/shop/sa/web"))
        .contains(new CallerIdentity("cluster.local", "shop", "web"));
    assertThat(CallerIdentity.fromSpiffeId("spiffe://cluster.local/ns/shop")).isEmpty();
    assertThat(CallerIdentity.fromSpiffeId("spiffe://cluster.local/ns/shop/sa/web/extra")).isEmpty();
    assertThat(CallerIdentity.fromSpiffeId("https://cluster.local/ns/shop/sa/web")).isEmpty();
  }
}
