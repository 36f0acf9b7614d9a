package dev.gatehouse.xds;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every resource every golden scenario produces (all resources of the proxy, not only the ones the out file shows)
 * satisfies Envoy's declared validate.rules; and the checker itself catches the violations it claims to.
 */
class EnvoyValidateRulesTest {

  @Test
  void everyGoldenResourceSatisfiesEnvoyValidateRules() throws IOException {
    List<String> all = new ArrayList<>();
    int checked = 0;
    for (Path in : GoldenFiles.inputs(GoldenTranslationTest.OWNED_ELSEWHERE)) {
      GoldenFiles.Scenario s = GoldenFiles.read(in);
      ProxyResources r = GoldenTranslationTest.translate(s);
      for (Map<String, Message> byName : r.resourcesByType().values()) {
        for (Map.Entry<String, Message> e : byName.entrySet()) {
          checked++;
          EnvoyValidateRules.violations(e.getValue())
              .forEach(v -> all.add(s.name() + " " + e.getKey() + ": " + v));
        }
      }
    }
    assertThat(checked).isGreaterThan(500);
    assertThat(all).isEmpty();
  }

  @Test
  void catchesMissingStatPrefixOutOfRangePortAndUndefinedEnum() {
    Listener bad = Listener.newBuilder()
        .setName("bad")
        .setAddress(Address.newBuilder().setSocketAddress(SocketAddress.newBuilder().setAddress("127.0.0.1").setPortValue(70000)))
        .addFilterChains(FilterChain.newBuilder()
            .addFilters(Filter.newBuilder().setName("envoy.filters.network.tcp_proxy")
                .setTypedConfig(Any.pack(TcpProxy.newBuilder().setCluster("c").build()))))
        .build();
    assertThat(EnvoyValidateRules.violations(bad))
        .anySatisfy(v -> assertThat(v).contains("port_value").contains("lte 65535"))
        .anySatisfy(v -> assertThat(v).contains("<TcpProxy>.stat_prefix").contains("at least 1"));
    Cluster undefinedEnum = Cluster.newBuilder().setName("c").setLbPolicyValue(42).build();
    assertThat(EnvoyValidateRules.violations(undefinedEnum)).anySatisfy(v -> assertThat(v).contains("lb_policy"));
  }

  @Test
  void catchesRequiredMessageAndMinItems() {
    // HttpFilter needs a name (min_len 1); RouteConfiguration virtual host needs domains (min_items 1).
    var vh = io.envoyproxy.envoy.config.route.v3.VirtualHost.newBuilder().setName("vh").build();
    assertThat(EnvoyValidateRules.violations(vh)).anySatisfy(v -> assertThat(v).contains("domains").contains("at least 1"));
    var weighted = io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint.newBuilder()
        .setLoadBalancingWeight(UInt32Value.of(0)).build();
    assertThat(EnvoyValidateRules.violations(weighted)).anySatisfy(v -> assertThat(v).contains("load_balancing_weight"));
  }
}
