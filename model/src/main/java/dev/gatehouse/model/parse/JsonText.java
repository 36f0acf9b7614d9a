package dev.gatehouse.model.parse;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.time.format.DateTimeFormatter;
import java.util.Date;
import java.util.List;
import java.util.Map;

/**
 * Writes a generic object tree (maps, lists, scalars as SnakeYAML or Jackson produce them) as JSON text, so that
 * protobuf's {@code JsonFormat} can read an Istio {@code spec} exactly as Istio reads the same object. Map keys
 * become strings (YAML allows {@code 8080:} as an integer key; JSON and Istio's {@code map<uint32,...>} do not
 * care). A YAML timestamp becomes its RFC 3339 text. Stateless and thread-safe.
 */
final class JsonText {
  private JsonText() {}

  /**
   * No Istio spec is nested anywhere near this deep; the limit turns a self-referencing YAML alias (or a hostile
   * map) into an error instead of a stack overflow.
   */
  static final int MAX_DEPTH = 64;

  static String of(Object tree) {
    return element(tree, 0).toString();
  }

  static JsonElement element(Object v) {
    return element(v, 0);
  }

  private static JsonElement element(Object v, int depth) {
    if (v == null) {
      return JsonNull.INSTANCE;
    }
    if (depth > MAX_DEPTH && (v instanceof Map<?, ?> || v instanceof List<?>)) {
      throw new IllegalArgumentException("nested deeper than " + MAX_DEPTH + " levels");
    }
    if (v instanceof Map<?, ?> m) {
      JsonObject o = new JsonObject();
      for (Map.Entry<?, ?> e : m.entrySet()) {
        o.add(String.valueOf(e.getKey()), element(e.getValue(), depth + 1));
      }
      return o;
    }
    if (v instanceof List<?> l) {
      JsonArray a = new JsonArray(l.size());
      for (Object item : l) {
        a.add(element(item, depth + 1));
      }
      return a;
    }
    if (v instanceof String s) {
      return new JsonPrimitive(s);
    }
    if (v instanceof Boolean b) {
      return new JsonPrimitive(b);
    }
    if (v instanceof Number n) {
      return new JsonPrimitive(n);
    }
    if (v instanceof Date d) {
      return new JsonPrimitive(DateTimeFormatter.ISO_INSTANT.format(d.toInstant()));
    }
    return new JsonPrimitive(String.valueOf(v));
  }
}
