package dev.gatehouse.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.gatehouse.controlplane.grpc.GrpcServers;
import dev.gatehouse.xds.ProxyResources;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;

/**
 * The running application's {@code /metrics} (istiod's monitoring port path) names Istio's CA and xDS metrics exactly
 * as istiod exposes them, so Istio's dashboards and alerts work unchanged: counters without {@code _total}, histograms
 * in seconds or bytes without a unit suffix. Checked after one CSR over TLS and one xDS push.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    args = "--config-dir=../examples",
    properties = {
      "gatehouse.grpc.secure-port=0",
      "gatehouse.grpc.plaintext-port=0",
      "gatehouse.state-dir=" + SecureAdsIdentityTest.STATE
    })
class IstioMetricNamesTest {
  /** Name and Prometheus type, as istiod's /metrics shows them (security/pkg/server/ca, pilot/pkg/xds monitoring.go). */
  private static final Map<String, String> ISTIO = new LinkedHashMap<>();

  static {
    ISTIO.put("citadel_server_csr_count", "counter");
    ISTIO.put("citadel_server_authentication_failure_count", "counter");
    ISTIO.put("citadel_server_csr_parsing_err_count", "counter");
    ISTIO.put("citadel_server_csr_sign_err_count", "counter");
    ISTIO.put("citadel_server_success_cert_issuance_count", "counter");
    ISTIO.put("citadel_server_root_cert_expiry_timestamp", "gauge");
    ISTIO.put("citadel_server_cert_chain_expiry_timestamp", "gauge");
    ISTIO.put("pilot_xds", "gauge");
    ISTIO.put("pilot_xds_pushes", "counter");
    ISTIO.put("pilot_proxy_convergence_time", "histogram");
    ISTIO.put("pilot_xds_push_time", "histogram");
    ISTIO.put("pilot_debounce_time", "histogram");
    // pilot_xds_{eds,lds,rds}_reject, like istiod's, have no series until the first NACK of their type.
    ISTIO.put("pilot_xds_cds_reject", "gauge");
    ISTIO.put("pilot_total_xds_rejects", "counter");
    ISTIO.put("pilot_xds_config_size_bytes", "histogram");
  }

  @Autowired GrpcServers servers;

  @Value("${local.server.port}")
  int httpPort;

  @Test
  void metricsEndpointShowsIstiosExactNamesAfterACsrAndAPush() throws Exception {
    String scrape;
    try (SecurePortClients clients = new SecurePortClients(servers, Path.of(SecureAdsIdentityTest.STATE))) {
      clients.certificate("shop", "cart");
      TestAdsStream ads = new TestAdsStream(clients.plaintextChannel());
      ads.subscribe(TestAdsStream.sidecar("shop", "cart-0", "127.0.0.12", "cart"), ProxyResources.CLUSTER);
      DiscoveryResponse cds = ads.next();
      ads.nack(cds, "refused for the test");
      await().atMost(Duration.ofSeconds(5)).until(() -> get("/metrics").contains("pilot_xds_cds_reject{"));
      scrape = get("/metrics");
      ads.close();
    }

    for (Map.Entry<String, String> m : ISTIO.entrySet()) {
      String name = m.getKey();
      assertThat(scrape).as(name).contains("# TYPE " + name + " " + m.getValue() + "\n");
      assertThat(scrape).as(name).doesNotContain(name + "_total").doesNotContain(name + "_seconds");
      if (m.getValue().equals("histogram")) {
        for (String series : new String[] {"_bucket{", "_sum", "_count"}) {
          assertThat(Pattern.compile("(?m)^" + Pattern.quote(name + series)).matcher(scrape).find())
              .as(name + series).isTrue();
        }
      } else {
        assertThat(Pattern.compile("(?m)^" + Pattern.quote(name) + "[ {]").matcher(scrape).find()).as(name).isTrue();
      }
    }
    assertThat(value(scrape, "citadel_server_csr_count")).isGreaterThanOrEqualTo(1);
    assertThat(value(scrape, "citadel_server_success_cert_issuance_count")).isGreaterThanOrEqualTo(1);
    assertThat(value(scrape, "pilot_xds_pushes{type=\"cds\"}")).isGreaterThanOrEqualTo(1);
    assertThat(value(scrape, "pilot_xds_cds_reject{err=\"InvalidArgument\",node=\"cart-0.shop\"}")).isEqualTo(1);
    assertThat(value(scrape, "pilot_total_xds_rejects{type=\"cds\"}")).isEqualTo(1);
    assertThat(scrape).contains("pilot_xds_config_size_bytes_bucket{type=\"cds\",le=\"");
    assertThat(scrape).contains("citadel_server_csr_sign_err_count{error_type=\"ttl\"} ");

    // Spring Boot's own scrape keeps its standard naming; only /metrics is istiod's.
    assertThat(get("/actuator/prometheus")).contains("citadel_server_csr_count_total ");
  }

  private static double value(String scrape, String series) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(scrape);
    assertThat(m.find()).as(series + " in the scrape").isTrue();
    return Double.parseDouble(m.group(1));
  }

  private String get(String path) throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(path).isEqualTo(200);
    return r.body();
  }
}
