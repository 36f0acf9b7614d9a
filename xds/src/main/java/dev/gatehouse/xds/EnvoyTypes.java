package dev.gatehouse.xds;

import com.google.protobuf.Descriptors;
import com.google.protobuf.util.JsonFormat;
import java.util.List;

/**
 * Every message type Gatehouse packs into an {@code Any}: the one registry used to print resources as JSON (the
 * {@code /debug/config_dump} endpoint, golden files) and by the validate.rules check in tests. Add a type here when a
 * translator starts packing it.
 */
public final class EnvoyTypes {
  private EnvoyTypes() {}

  public static final List<Descriptors.Descriptor> PACKED = List.of(
      io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.getDescriptor(),
      io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.getDescriptor(),
      io.envoyproxy.envoy.extensions.filters.http.router.v3.Router.getDescriptor(),
      io.envoyproxy.envoy.extensions.filters.listener.original_dst.v3.OriginalDst.getDescriptor(),
      io.envoyproxy.envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector.getDescriptor(),
      io.envoyproxy.envoy.extensions.filters.listener.http_inspector.v3.HttpInspector.getDescriptor(),
      io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext.getDescriptor(),
      io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext.getDescriptor(),
      io.envoyproxy.envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer.getDescriptor(),
      io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions.getDescriptor(),
      io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.getDescriptor(),
      io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC.getDescriptor(),
      io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication.getDescriptor(),
      io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthz.getDescriptor(),
      io.envoyproxy.envoy.extensions.filters.network.ext_authz.v3.ExtAuthz.getDescriptor(),
      io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault.getDescriptor(),
      io.envoyproxy.envoy.extensions.path.match.uri_template.v3.UriTemplateMatchConfig.getDescriptor(),
      io.envoyproxy.envoy.config.listener.v3.Listener.getDescriptor(),
      io.envoyproxy.envoy.config.cluster.v3.Cluster.getDescriptor(),
      io.envoyproxy.envoy.config.route.v3.RouteConfiguration.getDescriptor(),
      io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment.getDescriptor());

  public static final JsonFormat.TypeRegistry REGISTRY = JsonFormat.TypeRegistry.newBuilder().add(PACKED).build();
}
