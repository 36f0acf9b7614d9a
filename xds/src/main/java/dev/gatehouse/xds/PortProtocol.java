package dev.gatehouse.xds;

import dev.gatehouse.model.ServicePort;
import java.util.Locale;

/**
 * How Istio classifies a Service port (pkg/config/protocol): {@code appProtocol} first, then the port name's prefix
 * before the first '-'. Ports of unknown protocol are AUTO (protocol sniffing).
 */
public enum PortProtocol {
  HTTP,
  /** HTTP/2 or gRPC: upstream connections must speak h2. */
  HTTP2,
  TCP,
  AUTO;

  public static PortProtocol of(ServicePort port) {
    if (!"TCP".equalsIgnoreCase(port.protocol())) {
      return TCP; // UDP/SCTP are not proxied; treated as opaque
    }
    String app = port.appProtocol().toLowerCase(Locale.ROOT);
    if (!app.isEmpty()) {
      return fromName(app.startsWith("kubernetes.io/") ? app.substring("kubernetes.io/".length()) : app);
    }
    String name = port.name().toLowerCase(Locale.ROOT);
    int dash = name.indexOf('-');
    return fromName(dash < 0 ? name : name.substring(0, dash));
  }

  private static PortProtocol fromName(String p) {
    return switch (p) {
      case "http", "http-web" -> HTTP;
      case "http2", "grpc", "grpc-web", "h2c" -> HTTP2;
      case "tcp", "tls", "https", "mongo", "mysql", "redis" -> TCP;
      default -> AUTO;
    };
  }

  public boolean isHttp() {
    return this == HTTP || this == HTTP2;
  }
}
