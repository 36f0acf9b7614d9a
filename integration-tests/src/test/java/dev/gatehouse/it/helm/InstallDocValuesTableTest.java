package dev.gatehouse.it.helm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The values table in {@code docs/install.md} is generated from the chart's {@code values.schema.json} (key, type,
 * description) and {@code values.yaml} (default), so the documentation cannot drift from what {@code helm install}
 * accepts. When the chart changes, regenerate the table with {@code -Dinstall.refresh=true} and review the diff.
 */
class InstallDocValuesTableTest {
  static final Path DOC = RenderedChart.locate("docs/install.md");
  static final String BEGIN = "<!-- values-table:begin (generated from helm/gatehouse/values.schema.json and values.yaml by InstallDocValuesTableTest; -Dinstall.refresh=true regenerates) -->";
  static final String END = "<!-- values-table:end -->";

  @Test
  void valuesTableIsTheOneTheSchemaAndDefaultsGenerate() throws IOException {
    String expected = table();
    String doc = Files.readString(DOC, StandardCharsets.UTF_8);
    int begin = doc.indexOf(BEGIN);
    int end = doc.indexOf(END);
    assertThat(begin).as("docs/install.md has the values-table markers").isGreaterThanOrEqualTo(0);
    assertThat(end).isGreaterThan(begin);
    String actual = doc.substring(begin + BEGIN.length(), end).strip();
    if (Boolean.getBoolean("install.refresh") && !actual.equals(expected)) {
      Files.writeString(DOC, doc.substring(0, begin + BEGIN.length()) + "\n" + expected + "\n" + doc.substring(end));
      actual = expected;
    }
    assertThat(actual)
        .as("docs/install.md values table is out of date with the chart: run this test with -Dinstall.refresh=true")
        .isEqualTo(expected);
  }

  @Test
  void everySchemaLeafIsDocumentedAndHasADescription() throws IOException {
    List<Leaf> leaves = leaves();
    assertThat(leaves).hasSizeGreaterThan(40);
    assertThat(leaves).allSatisfy(l -> assertThat(l.description()).as(l.key() + " description").isNotBlank());
    // Every top-level key of values.yaml is described by the schema (the schema also forbids unknown keys).
    Map<String, Object> defaults = load(RenderedChart.CHART.resolve("values.yaml"));
    assertThat(defaults.keySet())
        .allSatisfy(k -> assertThat(leaves).anySatisfy(l -> assertThat(l.key().split("\\.")[0]).isEqualTo(k)));
  }

  static String table() throws IOException {
    StringBuilder sb = new StringBuilder("| Value | Type | Default | What it sets |\n|---|---|---|---|\n");
    for (Leaf l : leaves()) {
      sb.append("| `").append(l.key()).append("` | ").append(l.type()).append(" | `").append(l.defaultValue())
          .append("` | ").append(l.description().replace("|", "\\|")).append(" |\n");
    }
    return sb.toString().strip();
  }

  record Leaf(String key, String type, String defaultValue, String description) {}

  static List<Leaf> leaves() throws IOException {
    Map<String, Object> schema = load(RenderedChart.CHART.resolve("values.schema.json"));
    Map<String, Object> defaults = load(RenderedChart.CHART.resolve("values.yaml"));
    List<Leaf> out = new ArrayList<>();
    walk("", schema, defaults, out);
    return out;
  }

  @SuppressWarnings("unchecked")
  private static void walk(String prefix, Map<String, Object> node, Object defaults, List<Leaf> out) {
    Object props = node.get("properties");
    Object type = node.get("type");
    boolean object = type == null || "object".equals(type);
    if (props instanceof Map<?, ?> p && !p.isEmpty() && object) {
      for (var e : ((Map<String, Object>) p).entrySet()) {
        Object child = defaults instanceof Map<?, ?> d ? d.get(e.getKey()) : null;
        walk(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), (Map<String, Object>) e.getValue(), child, out);
      }
      return;
    }
    String t = type instanceof List<?> l ? l.stream().map(String::valueOf).collect(Collectors.joining(" or "))
        : String.valueOf(type);
    if (node.get("enum") instanceof List<?> en) {
      t += ": " + en.stream().map(String::valueOf).collect(Collectors.joining(", "));
    }
    Object desc = node.get("description");
    out.add(new Leaf(prefix, t, format(defaults), desc == null ? "" : desc.toString()));
  }

  /** A default in JSON notation, as a reader would write it in a values file. */
  static String format(Object v) {
    if (v == null) {
      return "null";
    }
    if (v instanceof String s) {
      return "\"" + s.replace("\"", "\\\"") + "\"";
    }
    if (v instanceof List<?> l) {
      return l.stream().map(InstallDocValuesTableTest::format).collect(Collectors.joining(", ", "[", "]"));
    }
    if (v instanceof Map<?, ?> m) {
      return m.entrySet().stream().map(e -> "\"" + e.getKey() + "\": " + format(e.getValue()))
          .collect(Collectors.joining(", ", "{", "}"));
    }
    return String.valueOf(v);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> load(Path p) throws IOException {
    return (Map<String, Object>) new Yaml().load(Files.readString(p, StandardCharsets.UTF_8));
  }
}
