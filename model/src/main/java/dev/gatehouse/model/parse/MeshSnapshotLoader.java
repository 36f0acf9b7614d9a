package dev.gatehouse.model.parse;

import dev.gatehouse.model.MeshConfig;
import dev.gatehouse.model.MeshObject;
import dev.gatehouse.model.MeshSnapshot;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Reads Kubernetes-style YAML (one or more documents, {@code ---} separated, {@code List} kinds expanded) into
 * parse results or a whole {@link MeshSnapshot}. The file config source and the golden translation tests both read
 * YAML through here, so a fixture means exactly what the same file means to a running Gatehouse.
 *
 * <p>Rules: a stream that is not valid YAML yields a single {@link ParseResult.Failed} and no objects at all, since
 * a half-read file could be missing the DENY policy that followed the error. Duplicate keys in a mapping are a YAML
 * error (a second {@code action:} must not silently win). Empty documents are skipped. Only plain data is built
 * (SnakeYAML's safe constructor: no arbitrary types, at most 50 aliases). Timestamps stay text, as the API server
 * returns them. An object defined twice (same kind, namespace and name) is reported, and the later one is used.
 * These are the rules of the file config source. Thread-safe: each call uses its own YAML reader.
 */
public final class MeshSnapshotLoader {

  /**
   * A snapshot read from YAML.
   *
   * @param snapshot every object that parsed, including {@code InvalidPolicy} entries
   * @param problems objects (or whole streams) that could not be used at all, with their source and reason
   */
  public record Loaded(MeshSnapshot snapshot, List<ParseResult.Failed> problems) {
    public Loaded {
      Objects.requireNonNull(snapshot, "snapshot");
      problems = List.copyOf(problems);
    }
  }

  private final MeshConfig mesh;
  private final KubernetesObjectParser parser;

  public MeshSnapshotLoader(MeshConfig mesh) {
    this.mesh = Objects.requireNonNull(mesh, "mesh");
    this.parser = new KubernetesObjectParser(mesh);
  }

  /** Loads a multi-document YAML string as snapshot version 1. */
  public static Loaded load(String yaml, MeshConfig mesh) {
    return new MeshSnapshotLoader(mesh).load(new StringReader(yaml), "yaml", 1);
  }

  /** Loads multi-document YAML as snapshot version 1. The reader is not closed. */
  public static Loaded load(Reader yaml, MeshConfig mesh) {
    return new MeshSnapshotLoader(mesh).load(yaml, "yaml", 1);
  }

  /** Loads UTF-8 multi-document YAML as snapshot version 1. The stream is not closed. */
  public static Loaded load(InputStream yaml, MeshConfig mesh) {
    return load(new InputStreamReader(yaml, StandardCharsets.UTF_8), mesh);
  }

  /** Loads multi-document YAML; {@code source} names it in problems and in each object's metadata. */
  public Loaded load(Reader yaml, String source, long version) {
    return assemble(parseYaml(yaml, source), version);
  }

  /**
   * Builds a snapshot from parse results; {@code Failed} results become problems, {@code Ignored} are dropped. When
   * two results have the same kind and key (a valid and an invalid version of one policy included), the later wins
   * and the duplicate is reported as a problem.
   */
  public Loaded assemble(List<ParseResult> results, long version) {
    Map<String, ParseResult.Parsed> latest = new LinkedHashMap<>();
    List<ParseResult.Failed> problems = new ArrayList<>();
    for (ParseResult r : results) {
      if (r instanceof ParseResult.Parsed p) {
        ParseResult.Parsed earlier = latest.put(p.kind() + " " + p.key(), p);
        if (earlier != null) {
          problems.add(new ParseResult.Failed(sourceOf(p), p.kind() + " " + p.key() + " defined twice; using the last"));
        }
      } else if (r instanceof ParseResult.Failed f) {
        problems.add(f);
      }
    }
    MeshSnapshot.Builder builder = MeshSnapshot.builder(version, mesh);
    latest.values().forEach(p -> builder.add(p.value()));
    return new Loaded(builder.build(), problems);
  }

  private static String sourceOf(ParseResult.Parsed p) {
    return p.value() instanceof MeshObject o ? o.meta().source() : "";
  }

  /** Parses every object in a multi-document YAML string. Never throws. */
  public List<ParseResult> parseYaml(String yaml, String source) {
    return parseYaml(new StringReader(yaml), source);
  }

  /** Parses every object in a multi-document YAML stream. Never throws; the reader is not closed. */
  public List<ParseResult> parseYaml(Reader yaml, String source) {
    List<Object> documents;
    try {
      documents = KubernetesYaml.documents(yaml);
    } catch (KubernetesYaml.NotYamlException e) {
      if (e.marked()) {
        String where = e.line().isPresent() ? " at line " + e.line().getAsInt() : "";
        return List.of(new ParseResult.Failed(source, "not valid YAML" + where + ": " + e.problem()));
      }
      return List.of(new ParseResult.Failed(source, "not valid YAML: " + firstLine(e.problem())));
    }
    List<ParseResult> results = new ArrayList<>();
    for (Object document : documents) {
      results.addAll(parser.parseAll(document, source));
    }
    return results;
  }

  private static String firstLine(String message) {
    if (message == null || message.isBlank()) {
      return "no detail";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message.strip() : message.substring(0, nl).strip();
  }
}
