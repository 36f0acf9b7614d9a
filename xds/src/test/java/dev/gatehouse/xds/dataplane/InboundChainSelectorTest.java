package dev.gatehouse.xds.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.model.ContainerPort;
import dev.gatehouse.model.MtlsMode;
import dev.gatehouse.model.ResourceMeta;
import dev.gatehouse.model.Workload;
import dev.gatehouse.xds.InboundPolicySource;
import dev.gatehouse.xds.InboundPort;
import dev.gatehouse.xds.PortProtocol;
import dev.gatehouse.xds.SidecarInboundBuilder;
import dev.gatehouse.xds.TranslationOptions;
import dev.gatehouse.xds.dataplane.InboundChainSelector.Connection;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Envoy's filter chain selection over the virtualInbound listener Gatehouse builds for each mTLS mode. */
class InboundChainSelectorTest {
  private static final List<String> ISTIO_HTTP = List.of("istio-http/1.1", "istio", "http/1.1");
  private static final List<String> ISTIO_TCP = List.of("istio-peer-exchange", "istio");

  private static Listener listener(MtlsMode workloadMode, InboundPort... ports) {
    Workload w = new Workload(ResourceMeta.of("Pod", "foo", "app"), "app", "127.0.0.10",
        List.of(new ContainerPort("", 8080, "TCP")), true, false);
    return new SidecarInboundBuilder(w, InboundPolicySource.NONE, List.of("cluster.local"), TranslationOptions.defaults())
        .listener(List.of(ports), workloadMode);
  }

  private static String chain(Listener l, int port, String transport, List<String> alpn) {
    return InboundChainSelector.select(l, new Connection(port, transport, alpn)).map(FilterChain::getName).orElse("refused");
  }

  @Test
  void strictAcceptsOnlyMutualTlsOnItsPortsAndOnUndeclaredOnes() {
    Listener l = listener(MtlsMode.STRICT, new InboundPort(8080, PortProtocol.HTTP, MtlsMode.STRICT, true));
    assertThat(chain(l, 8080, "tls", ISTIO_HTTP)).isEqualTo("inbound|8080|mtls-http");
    assertThat(chain(l, 8080, "raw_buffer", List.of("http/1.1"))).isEqualTo("refused");
    assertThat(chain(l, 9999, "tls", ISTIO_TCP)).isEqualTo("virtualInbound-passthrough|mtls");
    assertThat(chain(l, 9999, "raw_buffer", List.of())).isEqualTo("refused");
    assertThat(chain(l, 15006, "raw_buffer", List.of())).isEqualTo("virtualInbound-blackhole");
  }

  @Test
  void permissiveTcpSeparatesMeshTlsAppTlsAndPlaintext() {
    Listener l = listener(MtlsMode.PERMISSIVE, new InboundPort(5432, PortProtocol.TCP, MtlsMode.PERMISSIVE, true));
    assertThat(chain(l, 5432, "tls", ISTIO_TCP)).isEqualTo("inbound|5432|mtls-tcp");
    assertThat(chain(l, 5432, "tls", List.of("postgresql"))).isEqualTo("inbound|5432|tls-passthrough");
    assertThat(chain(l, 5432, "raw_buffer", List.of())).isEqualTo("inbound|5432|plaintext-tcp");
    assertThat(chain(l, 7000, "raw_buffer", List.of())).isEqualTo("virtualInbound-passthrough|plaintext");
  }

  @Test
  void aPortWithOnlyPlaintextChainsNeverFallsBackToThePortlessOnes() {
    // DISABLE on an auto-detected port: raw_buffer chains only. A TLS client is refused, although the
    // PERMISSIVE passthrough chains (no port) would take it: Envoy does not backtrack past the port level.
    Listener l = listener(MtlsMode.PERMISSIVE, new InboundPort(8080, PortProtocol.AUTO, MtlsMode.DISABLE, true));
    assertThat(chain(l, 8080, "raw_buffer", List.of("http/1.1"))).isEqualTo("inbound|8080|plaintext-http");
    assertThat(chain(l, 8080, "raw_buffer", List.of())).isEqualTo("inbound|8080|plaintext-tcp");
    assertThat(chain(l, 8080, "tls", ISTIO_TCP)).isEqualTo("refused");
  }

  @Test
  void criteriaItDoesNotModelAreNotGuessed() {
    Listener l = Listener.newBuilder().setName("x")
        .addFilterChains(FilterChain.newBuilder().setName("sni")
            .setFilterChainMatch(FilterChainMatch.newBuilder().addServerNames("a.example")))
        .build();
    assertThatThrownBy(() -> InboundChainSelector.select(l, new Connection(80, "tls", List.of())))
        .isInstanceOf(NotEvaluable.class);
  }
}
