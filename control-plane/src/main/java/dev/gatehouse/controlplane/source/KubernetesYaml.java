package dev.gatehouse.controlplane.source;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.representer.Representer;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * Reads the documents of a Kubernetes-style YAML (or JSON) file. Safe loading only (no Java types), with
 * Kubernetes' reading of scalars: timestamps stay strings (as the API server returns them), so
 * {@code creationTimestamp: 2024-05-01T10:00:00Z} reaches the parser as text. Thread-safe (a new loader per call).
 */
public final class KubernetesYaml {
  private KubernetesYaml() {}

  /** The file is not YAML, or a document in it is malformed. */
  public static final class NotYamlException extends Exception {
    public NotYamlException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** All non-empty documents, in order. Each is a Map for a well-formed object; anything else is returned as is. */
  public static List<Object> documents(String text) throws NotYamlException {
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(false);
    options.setMaxAliasesForCollections(50);
    Yaml yaml =
        new Yaml(
            new SafeConstructor(options),
            new Representer(new DumperOptions()),
            new DumperOptions(),
            options,
            new NoTimestampResolver());
    List<Object> docs = new ArrayList<>();
    try {
      for (Object doc : yaml.loadAll(text)) {
        if (doc != null) {
          docs.add(doc);
        }
      }
    } catch (MarkedYAMLException e) {
      String where = e.getProblemMark() == null ? "" : "line " + (e.getProblemMark().getLine() + 1) + ": ";
      throw new NotYamlException(where + firstLine(e.getProblem()), e);
    } catch (RuntimeException e) {
      // snakeyaml signals every other problem with a RuntimeException (YAMLException and subclasses).
      throw new NotYamlException(firstLine(e.getMessage()), e);
    }
    return docs;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> asObject(Object doc) {
    return (Map<String, Object>) doc;
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "malformed YAML";
    }
    String flat = message.replaceAll("\\s+", " ").trim();
    return flat.length() > 240 ? flat.substring(0, 240) + "..." : flat;
  }

  /** YAML 1.1's implicit timestamp would turn RFC 3339 strings into java.util.Date; Kubernetes keeps them as text. */
  private static final class NoTimestampResolver extends Resolver {
    @Override
    public void addImplicitResolver(org.yaml.snakeyaml.nodes.Tag tag, Pattern regexp, String first) {
      if (!org.yaml.snakeyaml.nodes.Tag.TIMESTAMP.equals(tag)) {
        super.addImplicitResolver(tag, regexp, first);
      }
    }

    @Override
    public void addImplicitResolver(org.yaml.snakeyaml.nodes.Tag tag, Pattern regexp, String first, int limit) {
      if (!org.yaml.snakeyaml.nodes.Tag.TIMESTAMP.equals(tag)) {
        super.addImplicitResolver(tag, regexp, first, limit);
      }
    }
  }
}
