package dev.gatehouse.xds.server;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import java.util.List;
import java.util.Map;

/**
 * Renders a proxy's resources as JSON for {@code /debug/config_dump}: one object per type URL, each resource printed
 * with {@link JsonFormat} and a registry of the Envoy extension types Gatehouse packs into {@code Any} fields. A
 * resource holding an unregistered {@code Any} is shown by type URL and version instead of failing the dump.
 */
public final class ConfigDumpJson {
  private static final JsonFormat.TypeRegistry TYPES = JsonFormat.TypeRegistry.newBuilder()
      .add(List.of(
          io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.getDescriptor(),
          io.envoyproxy.envoy.extensions.filters.http.router.v3.Router.getDescriptor(),
          io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.getDescriptor(),
          io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC.getDescriptor(),
          io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication.getDescriptor(),
          io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthz.getDescriptor(),
          io.envoyproxy.envoy.extensions.filters.network.ext_authz.v3.ExtAuthz.getDescriptor(),
          io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.getDescriptor(),
          io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault.getDescriptor(),
          io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext.getDescriptor(),
          io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext.getDescriptor(),
          io.envoyproxy.envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer.getDescriptor(),
          io.envoyproxy.envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector.getDescriptor(),
          io.envoyproxy.envoy.extensions.filters.listener.original_dst.v3.OriginalDst.getDescriptor(),
          io.envoyproxy.envoy.extensions.filters.listener.http_inspector.v3.HttpInspector.getDescriptor(),
          io.envoyproxy.envoy.config.listener.v3.Listener.getDescriptor(),
          io.envoyproxy.envoy.config.cluster.v3.Cluster.getDescriptor(),
          io.envoyproxy.envoy.config.route.v3.RouteConfiguration.getDescriptor(),
          io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment.getDescriptor()))
      .build();
  private static final JsonFormat.Printer PRINTER =
      JsonFormat.printer().usingTypeRegistry(TYPES).omittingInsignificantWhitespace();

  private ConfigDumpJson() {}

  /** {@code {"<typeUrl>": {"version": ..., "resources": {"<name>": <resource JSON>}}}, ...} */
  public static String render(ProxyConfig config) {
    StringBuilder out = new StringBuilder("{");
    boolean firstType = true;
    for (String type : new java.util.TreeSet<>(config.types().keySet())) {
      TypeResources tr = config.types().get(type);
      out.append(firstType ? "" : ",").append(quote(type)).append(":{\"version\":").append(quote(tr.version()))
          .append(",\"resources\":{");
      firstType = false;
      boolean first = true;
      for (Map.Entry<String, SerializedResource> e : tr.resources().entrySet()) {
        out.append(first ? "" : ",").append(quote(e.getKey())).append(':').append(json(e.getValue()));
        first = false;
      }
      out.append("}}");
    }
    return out.append('}').toString();
  }

  private static String json(SerializedResource r) {
    Message m = r.source();
    try {
      return PRINTER.print(m);
    } catch (InvalidProtocolBufferException e) {
      return "{\"@type\":" + quote(r.any().getTypeUrl()) + ",\"version\":" + quote(r.version())
          + ",\"unprintable\":" + quote(e.getMessage()) + "}";
    }
  }

  static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }
}
