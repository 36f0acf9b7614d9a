package dev.gatehouse.model.parse;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Typed reads from a generic Kubernetes object map, as SnakeYAML and Jackson produce it. Every read names the
 * field path in its error, so a bad file says exactly what is wrong. Stateless and thread-safe.
 */
final class RawFields {
  private RawFields() {}

  /** A field has the wrong shape; the message names its path. */
  static final class MalformedFieldException extends RuntimeException {
    MalformedFieldException(String path, String expected, Object actual) {
      super(path + ": expected " + expected + ", got " + describe(actual));
    }

    MalformedFieldException(String message) {
      super(message);
    }
  }

  static Object get(Map<?, ?> map, String key) {
    return map == null ? null : map.get(key);
  }

  /** A nested map; absent or null gives an empty map. */
  static Map<?, ?> map(Map<?, ?> parent, String key, String path) {
    Object v = get(parent, key);
    if (v == null) {
      return Map.of();
    }
    if (v instanceof Map<?, ?> m) {
      return m;
    }
    throw new MalformedFieldException(path, "an object", v);
  }

  /** A list; absent or null gives an empty list. */
  static List<?> list(Map<?, ?> parent, String key, String path) {
    Object v = get(parent, key);
    if (v == null) {
      return List.of();
    }
    if (v instanceof List<?> l) {
      return l;
    }
    throw new MalformedFieldException(path, "a list", v);
  }

  /** A list element that must be an object. */
  static Map<?, ?> element(Object item, String path) {
    if (item instanceof Map<?, ?> m) {
      return m;
    }
    throw new MalformedFieldException(path, "an object", item);
  }

  /** A scalar as a string (numbers and booleans are written as YAML would read them back); absent gives "". */
  static String string(Map<?, ?> parent, String key, String path) {
    Object v = get(parent, key);
    if (v == null) {
      return "";
    }
    return scalar(v).orElseThrow(() -> new MalformedFieldException(path, "a string", v));
  }

  /** The scalar's text, or empty for maps and lists. */
  static Optional<String> scalar(Object v) {
    if (v instanceof String s) {
      return Optional.of(s);
    }
    if (v instanceof Boolean || v instanceof Integer || v instanceof Long || v instanceof BigInteger) {
      return Optional.of(v.toString());
    }
    if (v instanceof Number n) {
      return Optional.of(new BigDecimal(n.toString()).stripTrailingZeros().toPlainString());
    }
    return Optional.empty();
  }

  /** An integer field; absent gives {@code absent}. Accepts a whole number or a string of digits. */
  static int integer(Map<?, ?> parent, String key, String path, int absent) {
    Object v = get(parent, key);
    if (v == null) {
      return absent;
    }
    return integerValue(v).orElseThrow(() -> new MalformedFieldException(path, "an integer", v));
  }

  static Optional<Integer> integerValue(Object v) {
    try {
      if (v instanceof Integer i) {
        return Optional.of(i);
      }
      if (v instanceof Number n) {
        return Optional.of(new BigDecimal(n.toString()).intValueExact());
      }
      if (v instanceof String s && !s.isEmpty() && s.chars().allMatch(Character::isDigit)) {
        return Optional.of(Integer.parseInt(s));
      }
    } catch (ArithmeticException | NumberFormatException e) {
      return Optional.empty();
    }
    return Optional.empty();
  }

  /**
   * A {@code map[string]string} such as labels, annotations or a selector. Scalar values are read as text (an
   * unquoted {@code version: 1} means "1"); nested objects, lists and nulls are errors.
   */
  static Map<String, String> stringMap(Map<?, ?> parent, String key, String path) {
    return stringMapValue(get(parent, key), path);
  }

  static Map<String, String> stringMapValue(Object v, String path) {
    if (v == null) {
      return Map.of();
    }
    if (!(v instanceof Map<?, ?> m)) {
      throw new MalformedFieldException(path, "a map of strings", v);
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : m.entrySet()) {
      String k = String.valueOf(e.getKey());
      Object value = e.getValue();
      String text =
          value == null
              ? null
              : scalar(value).orElse(null);
      if (text == null) {
        throw new MalformedFieldException(path + "." + k, "a string", value);
      }
      out.put(k, text);
    }
    return out;
  }

  /** A list of strings; absent gives an empty list. */
  static List<String> stringList(Map<?, ?> parent, String key, String path) {
    List<?> l = list(parent, key, path);
    List<String> out = new ArrayList<>(l.size());
    for (int i = 0; i < l.size(); i++) {
      Object v = l.get(i);
      String p = path + "[" + i + "]";
      out.add(v == null ? "" : scalar(v).orElseThrow(() -> new MalformedFieldException(p, "a string", v)));
    }
    return out;
  }

  static String describe(Object v) {
    if (v == null) {
      return "null";
    }
    if (v instanceof Map<?, ?>) {
      return "an object";
    }
    if (v instanceof List<?>) {
      return "a list";
    }
    String text = String.valueOf(v);
    if (text.length() > 60) {
      text = text.substring(0, 57) + "...";
    }
    return (v instanceof String ? "\"" + text + "\"" : text);
  }
}
