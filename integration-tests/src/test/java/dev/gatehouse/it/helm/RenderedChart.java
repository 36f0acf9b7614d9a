package dev.gatehouse.it.helm;

import com.marcnuri.helm.Helm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.yaml.snakeyaml.Yaml;

/**
 * The chart in {@code helm/gatehouse} rendered by helm-java ({@code helm template}, release "gatehouse" in
 * istio-system) and parsed into plain maps, with small accessors for dotted paths. Immutable.
 */
public final class RenderedChart {
  public static final Path CHART = locate("helm/gatehouse");
  public static final String NAMESPACE = "istio-system";

  private final List<Map<String, Object>> docs;

  private RenderedChart(List<Map<String, Object>> docs) {
    this.docs = List.copyOf(docs);
  }

  /** The repository directory {@code relative} is found in, searching upwards from the working directory. */
  public static Path locate(String relative) {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.exists(p.resolve(relative))) {
      p = p.getParent();
    }
    return Objects.requireNonNull(p, relative + " not found above the working directory").resolve(relative);
  }

  /** {@code helm template} with {@code --set key=value} for each entry. */
  public static RenderedChart render(Map<String, Object> values) {
    var cmd = new Helm(CHART).template().withName("gatehouse").withNamespace(NAMESPACE);
    values.forEach(cmd::set);
    return parse(cmd.call());
  }

  /** {@code helm template -f values}. */
  public static RenderedChart render(Path valuesFile) {
    return parse(new Helm(CHART).template().withName("gatehouse").withNamespace(NAMESPACE).withValuesFile(valuesFile).call());
  }

  private static RenderedChart parse(String out) {
    List<Map<String, Object>> docs = new ArrayList<>();
    for (Object o : new Yaml().loadAll(out)) {
      if (o instanceof Map<?, ?> m) {
        @SuppressWarnings("unchecked")
        Map<String, Object> doc = (Map<String, Object>) m;
        docs.add(doc);
      }
    }
    return new RenderedChart(docs);
  }

  public List<String> kinds() {
    return docs.stream().map(d -> (String) d.get("kind")).toList();
  }

  public List<Map<String, Object>> all(String kind) {
    return docs.stream().filter(d -> kind.equals(d.get("kind"))).toList();
  }

  /** The one object of {@code kind}; fails unless there is exactly one. */
  public Map<String, Object> only(String kind) {
    List<Map<String, Object>> found = all(kind);
    if (found.size() != 1) {
      throw new AssertionError("expected one " + kind + ", rendered " + found.size() + ": " + kinds());
    }
    return found.get(0);
  }

  /** The Gatehouse container of the Deployment. */
  public Map<String, Object> container() {
    return list(only("Deployment"), "spec.template.spec.containers").get(0);
  }

  @SuppressWarnings("unchecked")
  public List<String> args() {
    return (List<String>) container().get("args");
  }

  /** The container's env entries with a literal value or a fieldRef path, name to value. */
  public Map<String, String> env() {
    Map<String, String> out = new java.util.LinkedHashMap<>();
    for (Map<String, Object> e : list(container(), "env")) {
      Object value = e.get("value") != null ? e.get("value") : at(e, "valueFrom.fieldRef.fieldPath");
      out.put((String) e.get("name"), String.valueOf(value));
    }
    return out;
  }

  /** The value at a dotted path ({@code spec.template.spec}), or null when a step is missing. */
  public static Object at(Map<String, Object> root, String path) {
    Object current = root;
    for (String step : path.split("\\.")) {
      if (!(current instanceof Map<?, ?> m)) {
        return null;
      }
      current = m.get(step);
    }
    return current;
  }

  @SuppressWarnings("unchecked")
  public static Map<String, Object> map(Map<String, Object> root, String path) {
    return (Map<String, Object>) at(root, path);
  }

  @SuppressWarnings("unchecked")
  public static List<Map<String, Object>> list(Map<String, Object> root, String path) {
    Object v = at(root, path);
    return v == null ? List.of() : (List<Map<String, Object>>) v;
  }
}
