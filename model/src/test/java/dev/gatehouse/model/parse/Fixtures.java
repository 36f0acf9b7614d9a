package dev.gatehouse.model.parse;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Message;
import dev.gatehouse.model.InvalidPolicy;
import dev.gatehouse.model.MeshConfig;
import dev.gatehouse.model.Policy;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/** Test fixtures: YAML text or classpath resources read the way the config sources read them. */
final class Fixtures {
  private Fixtures() {}

  static final MeshConfig MESH = MeshConfig.defaults();

  /** One YAML document as the generic map the parser receives. */
  @SuppressWarnings("unchecked")
  static Map<String, Object> object(String yaml) {
    return (Map<String, Object>) new org.yaml.snakeyaml.Yaml(new SafeConstructor(new LoaderOptions())).load(yaml);
  }

  static ParseResult parse(String yaml) {
    return new KubernetesObjectParser(MESH).parse(object(yaml), "test.yaml");
  }

  /** The value of a document that must parse (to a model record, a Policy or an InvalidPolicy). */
  static Object value(String yaml) {
    ParseResult r = parse(yaml);
    assertThat(r).isInstanceOf(ParseResult.Parsed.class);
    return ((ParseResult.Parsed) r).value();
  }

  @SuppressWarnings("unchecked")
  static <T extends Message> Policy<T> policy(String yaml) {
    Object v = value(yaml);
    assertThat(v).as("expected a valid policy, got %s", v).isInstanceOf(Policy.class);
    return (Policy<T>) v;
  }

  static InvalidPolicy invalid(String yaml) {
    Object v = value(yaml);
    assertThat(v).as("expected an invalid policy, got %s", v).isInstanceOf(InvalidPolicy.class);
    return (InvalidPolicy) v;
  }

  static ParseResult.Failed failed(String yaml) {
    ParseResult r = parse(yaml);
    assertThat(r).isInstanceOf(ParseResult.Failed.class);
    return (ParseResult.Failed) r;
  }

  static List<ParseResult> resource(String name) {
    return new MeshSnapshotLoader(MESH).parseYaml(text(name), name);
  }

  /** The valid policy named {@code name} (any namespace) in a fixture file. */
  @SuppressWarnings("unchecked")
  static <T extends Message> Policy<T> policyIn(List<ParseResult> results, String namespace, String name) {
    for (ParseResult r : results) {
      if (r instanceof ParseResult.Parsed p && p.key().name().equals(name) && p.key().namespace().equals(namespace)) {
        assertThat(p.value()).as("%s/%s", namespace, name).isInstanceOf(Policy.class);
        return (Policy<T>) p.value();
      }
    }
    throw new AssertionError("no " + namespace + "/" + name + " in " + results);
  }

  static String text(String name) {
    try (InputStream in = Fixtures.class.getResourceAsStream("/fixtures/" + name)) {
      if (in == null) {
        throw new IllegalArgumentException("no fixture " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
