package dev.gatehouse.xds;

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.protobuf.Message;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.Http1ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import java.util.ArrayList;
import java.util.List;

/** Small builders for the Envoy filters and addresses every listener uses. Pure static functions. */
public final class EnvoyFilters {
  public static final String HCM = "envoy.filters.network.http_connection_manager";
  public static final String TCP_PROXY = "envoy.filters.network.tcp_proxy";
  public static final String ROUTER = "envoy.filters.http.router";
  static final String HTTP_PROTOCOL_OPTIONS = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

  private EnvoyFilters() {}

  public static Address address(String ip, int port) {
    return Address.newBuilder()
        .setSocketAddress(SocketAddress.newBuilder().setAddress(ip).setPortValue(port))
        .build();
  }

  // Immutable messages, built once: they appear in thousands of resources.
  private static final ConfigSource ADS = ConfigSource.newBuilder()
      .setAds(AggregatedConfigSource.getDefaultInstance())
      .setResourceApiVersion(ApiVersion.V3)
      .build();
  private static final HttpFilter ROUTER_FILTER =
      HttpFilter.newBuilder().setName(ROUTER).setTypedConfig(Any.pack(Router.getDefaultInstance())).build();

  public static ConfigSource ads() {
    return ADS;
  }

  /** The router, always last and always with a typed config (grpc-java refuses it otherwise). */
  public static HttpFilter router() {
    return ROUTER_FILTER;
  }

  public static List<HttpFilter> withRouter(List<HttpFilter> policyFilters) {
    List<HttpFilter> all = new ArrayList<>(policyFilters);
    all.add(router());
    return all;
  }

  public static Filter network(String name, Message config) {
    return Filter.newBuilder().setName(name).setTypedConfig(Any.pack(config)).build();
  }

  public static Filter hcm(HttpConnectionManager hcm) {
    return network(HCM, hcm);
  }

  public static Filter tcpProxy(String statPrefix, String cluster) {
    return network(TCP_PROXY, TcpProxy.newBuilder().setStatPrefix(statPrefix).setCluster(cluster).build());
  }

  public static Duration seconds(long s) {
    return Duration.newBuilder().setSeconds(s).build();
  }

  /** Upstream HTTP/2 (gRPC, http2 ports): without it Envoy would speak HTTP/1.1 to an h2-only server. */
  public static void explicitHttp2(Cluster.Builder c) {
    c.putTypedExtensionProtocolOptions(HTTP_PROTOCOL_OPTIONS, Any.pack(HttpProtocolOptions.newBuilder()
        .setExplicitHttpConfig(HttpProtocolOptions.ExplicitHttpConfig.newBuilder()
            .setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance()))
        .build()));
  }

  /** Sniffed (auto) ports: speak upstream whatever the downstream spoke. */
  public static void downstreamProtocol(Cluster.Builder c) {
    c.putTypedExtensionProtocolOptions(HTTP_PROTOCOL_OPTIONS, Any.pack(HttpProtocolOptions.newBuilder()
        .setUseDownstreamProtocolConfig(HttpProtocolOptions.UseDownstreamHttpConfig.newBuilder()
            .setHttpProtocolOptions(Http1ProtocolOptions.getDefaultInstance())
            .setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance()))
        .build()));
  }
}
