package dev.gatehouse.xds;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.model.ContainerPort;
import dev.gatehouse.model.MtlsMode;
import dev.gatehouse.model.ResourceMeta;
import dev.gatehouse.model.Workload;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A proxyless server chain's HCM changes whenever its transport security does: grpc-js-xds 1.14.1 decides whether a
 * new Listener is "equivalent" to the served one by the HCM bytes first and gets the transport_socket comparison
 * wrong (see {@link GrpcServerListenerBuilder}), so a mode change that left the HCM byte-identical would be ignored
 * (STRICT to PERMISSIVE) or throw (PERMISSIVE to STRICT) in a grpc-js server. Found by GrpcJsMeshEndToEndTest.
 */
class GrpcServerListenerBuilderTest {
  private static final Workload ECHO = new Workload(
      new ResourceMeta("v1", "Pod", "shop", "echo-1", null, "1", null, null, "kubernetes"), "echo", "127.0.0.31",
      List.of(new ContainerPort("grpc", 7070, "TCP")), false, true);

  private static FilterChain chain(MtlsMode mode) {
    Listener l = new GrpcServerListenerBuilder(ECHO, InboundPolicySource.NONE)
        .listener(new InboundPort(7070, PortProtocol.HTTP2, mode, true), "127.0.0.31");
    assertThat(l.getFilterChainsList()).hasSize(1);
    return l.getFilterChains(0);
  }

  @Test
  void everyChangeOfTransportSecurityChangesTheHttpConnectionManager() {
    FilterChain strict = chain(MtlsMode.STRICT);
    FilterChain permissive = chain(MtlsMode.PERMISSIVE);
    FilterChain disable = chain(MtlsMode.DISABLE);
    assertThat(strict.hasTransportSocket()).isTrue();
    assertThat(permissive.hasTransportSocket()).isFalse();
    assertThat(disable.hasTransportSocket()).isFalse();

    assertThat(strict.getFilters(0).getTypedConfig().getValue())
        .isNotEqualTo(permissive.getFilters(0).getTypedConfig().getValue());
    // Both plaintext modes are the same chain: nothing for grpc-js to tell apart.
    assertThat(permissive.getFilters(0).getTypedConfig()).isEqualTo(disable.getFilters(0).getTypedConfig());
    assertThat(GrpcServerListenerBuilder.statPrefix(new InboundPort(7070, PortProtocol.HTTP2, MtlsMode.STRICT, true)))
        .isEqualTo("inbound_7070");
    assertThat(GrpcServerListenerBuilder.statPrefix(
        new InboundPort(7070, PortProtocol.HTTP2, MtlsMode.PERMISSIVE, true))).isEqualTo("inbound_7070_plaintext");
  }
}
