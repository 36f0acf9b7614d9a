package dev.gatehouse.posture;

import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The one JSON form of every report (describe, explain, analyze, posture): what the CLI prints with
 * {@code --format json}, what a running Gatehouse answers under {@code /debug}, and what the CLI reads back from
 * {@code --server} before rendering text or HTML. Thread-safe.
 */
public final class PostureJson {
  private static final JsonMapper PRETTY = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();
  private static final JsonMapper COMPACT = JsonMapper.builder().build();

  private PostureJson() {}

  public static String write(Object report) {
    return PRETTY.writeValueAsString(report) + "\n";
  }

  /** One line, for rules shown inside text output. */
  public static String compact(Object value) {
    return COMPACT.writeValueAsString(value);
  }

  /**
   * @throws tools.jackson.core.JacksonException when {@code json} is not a {@code type}
   */
  public static <T> T read(String json, Class<T> type) {
    return COMPACT.readValue(json, type);
  }
}
