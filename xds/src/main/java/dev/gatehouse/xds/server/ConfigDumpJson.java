package dev.gatehouse.xds.server;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import dev.gatehouse.xds.EnvoyTypes;
import java.util.Map;

/**
 * Renders a proxy's resources as JSON for {@code /debug/config_dump}: one object per type URL, each resource printed
 * with {@link JsonFormat} and {@link EnvoyTypes#REGISTRY}, the Envoy types Gatehouse packs into {@code Any} fields. A
 * resource holding an unregistered {@code Any} is shown by type URL and version instead of failing the dump.
 */
public final class ConfigDumpJson {
  private static final JsonFormat.Printer PRINTER =
      JsonFormat.printer().usingTypeRegistry(EnvoyTypes.REGISTRY).omittingInsignificantWhitespace();

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
