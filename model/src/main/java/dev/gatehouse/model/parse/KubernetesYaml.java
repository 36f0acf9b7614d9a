package dev.gatehouse.model.parse;

import java.io.Reader;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.representer.Representer;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * The one way Gatehouse reads Kubernetes-style YAML (or JSON), shared by the file source and
 * {@link MeshSnapshotLoader}: safe loading only (no Java types), duplicate keys are an error, at most 50 aliases
 * (no alias bombs), and timestamps stay text as the API server returns them. Thread-safe (a new loader per call).
 */
public final class KubernetesYaml {
  private KubernetesYaml() {}

  /** The input is not YAML, or a document in it is malformed. */
  public static final class NotYamlException extends Exception {
    private final boolean marked;
    private final OptionalInt line;
    private final String problem;

    NotYamlException(boolean marked, OptionalInt line, String problem, Throwable cause) {
      super(problem, cause);
      this.marked = marked;
      this.line = line;
      this.problem = problem;
    }

    /** True when snakeyaml located the problem in the text (a syntax error rather than e.g. an alias limit). */
    public boolean marked() {
      return marked;
    }

    /** 1-based line of the problem, when known. */
    public OptionalInt line() {
      return line;
    }

    /** snakeyaml's description of the problem, unedited (may span lines; may be null). */
    public String problem() {
      return problem;
    }
  }

  /** All non-empty documents, in order. Each is a Map for a well-formed object; anything else is returned as is. */
  public static List<Object> documents(String text) throws NotYamlException {
    return documents(new StringReader(text));
  }

  /** Like {@link #documents(String)}; the reader is not closed. */
  public static List<Object> documents(Reader text) throws NotYamlException {
    List<Object> docs = new ArrayList<>();
    try {
      for (Object doc : newYaml().loadAll(text)) {
        if (doc != null) {
          docs.add(doc);
        }
      }
    } catch (MarkedYAMLException e) {
      OptionalInt line =
          e.getProblemMark() == null ? OptionalInt.empty() : OptionalInt.of(e.getProblemMark().getLine() + 1);
      throw new NotYamlException(true, line, e.getProblem(), e);
    } catch (RuntimeException e) {
      // snakeyaml signals every other problem with a RuntimeException (YAMLException and subclasses).
      throw new NotYamlException(false, OptionalInt.empty(), e.getMessage(), e);
    }
    return docs;
  }

  private static Yaml newYaml() {
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(false);
    options.setMaxAliasesForCollections(50);
    DumperOptions dumper = new DumperOptions();
    return new Yaml(new SafeConstructor(options), new Representer(dumper), dumper, options, new NoTimestampResolver());
  }

  /** YAML 1.1's implicit timestamp would turn RFC 3339 text into java.util.Date; Kubernetes keeps it as text. */
  private static final class NoTimestampResolver extends Resolver {
    @Override
    public void addImplicitResolver(Tag tag, Pattern regexp, String first) {
      if (!Tag.TIMESTAMP.equals(tag)) {
        super.addImplicitResolver(tag, regexp, first);
      }
    }

    @Override
    public void addImplicitResolver(Tag tag, Pattern regexp, String first, int limit) {
      if (!Tag.TIMESTAMP.equals(tag)) {
        super.addImplicitResolver(tag, regexp, first, limit);
      }
    }
  }
}
