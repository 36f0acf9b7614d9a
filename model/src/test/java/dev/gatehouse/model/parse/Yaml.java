package dev.gatehouse.model.parse;

import dev.gatehouse.model.MeshConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/** Test fixtures: YAML text or classpath resources read the way the config sources read them. */
final class Yaml {
  private Yaml() {}

  static final MeshConfig MESH = MeshConfig.defaults();

  /** One YAML document as the generic map the parser receives. */
  @SuppressWarnings("unchecked")
  static Map<String, Object> object(String yaml) {
    return (Map<String, Object>) new org.yaml.snakeyaml.Yaml(new SafeConstructor(new LoaderOptions())).load(yaml);
  }

  static ParseResult parse(String yaml) {
    return new KubernetesObjectParser(MESH).parse(object(yaml), "test.yaml");
  }

  static List<ParseResult> resource(String name) {
    return new MeshSnapshotLoader(MESH).parseYaml(text(name), name);
  }

  static String text(String name) {
    try (InputStream in = Yaml.class.getResourceAsStream("/fixtures/" + name)) {
      if (in == null) {
        throw new IllegalArgumentException("no fixture " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
