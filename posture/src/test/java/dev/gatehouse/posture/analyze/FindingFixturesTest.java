package dev.gatehouse.posture.analyze;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.gatehouse.model.MeshConfig;
import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.model.parse.MeshSnapshotLoader;
import dev.gatehouse.model.parse.ParseResult;
import dev.gatehouse.posture.CaFacts;
import dev.gatehouse.posture.InputProblem;
import dev.gatehouse.posture.JwksFetch;
import dev.gatehouse.posture.MeshPosture;
import dev.gatehouse.posture.PostureInput;
import dev.gatehouse.xds.TranslationOptions;
import dev.gatehouse.xds.authn.JwksResolver;
import dev.gatehouse.xds.authn.JwksSnapshot;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Every {@link FindingCode} has a fixture mesh under {@code src/test/resources/findings/<code>/}: {@code positive.yaml}
 * where the code fires and {@code negative.yaml}, a minimal change of it, where it does not. A code without both
 * files fails here. Each file is Kubernetes/Istio YAML read by the model's loader (the file source's rules), plus an
 * optional first document {@code kind: FindingFixture} for what is not YAML in a mesh:
 *
 * <pre>
 * kind: FindingFixture
 * object: AuthorizationPolicy foo/x   # positive: the object the finding must name
 * workloadCertTtl: PT48H              # the CA's default workload certificate lifetime
 * root: root.pem                      # a CA root (PEM, next to the fixture) ...
 * rootExpiresInDays: 12               # ... and "now" placed this many days before its notAfter
 * jwks: {/keys: '{"keys": [...]}'}    # served by a loopback HTTP server at ${JWKS}; other paths answer 404
 * sentJwks: {/keys: '...'}            # the key set proxies hold, when it differs from the fetch (a stale one)
 * </pre>
 *
 * Key sets are fetched the way the CLI does (JwksResolver's HTTP fetcher, once per jwksUri) from a loopback server.
 */
class FindingFixturesTest {
  static final Path DIR = Path.of("src/test/resources/findings");
  private static HttpServer jwksServer;
  private static final Map<String, String> served = new ConcurrentHashMap<>();

  @BeforeAll
  static void startJwksServer() throws IOException {
    jwksServer = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    jwksServer.createContext("/", exchange -> {
      String body = served.get(exchange.getRequestURI().getPath());
      byte[] bytes = (body == null ? "not found" : body).getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", body == null ? "text/plain" : "application/json");
      exchange.sendResponseHeaders(body == null ? 404 : 200, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    });
    jwksServer.start();
  }

  @AfterAll
  static void stopJwksServer() {
    jwksServer.stop(0);
  }

  @ParameterizedTest
  @EnumSource(FindingCode.class)
  void firesOnItsPositiveFixture(FindingCode code) throws Exception {
    Fixture f = load(code, "positive.yaml");
    List<Finding> findings = Analyzer.analyze(MeshPosture.of(f.input)).findings();
    assertThat(findings).as("%s on %s: %s", code, f.path, findings)
        .anySatisfy(x -> {
          assertThat(x.code()).isEqualTo(code.name());
          if (f.object != null) {
            assertThat(x.object()).isEqualTo(f.object);
          }
        });
  }

  @ParameterizedTest
  @EnumSource(FindingCode.class)
  void staysQuietOnItsNegativeFixture(FindingCode code) throws Exception {
    Fixture f = load(code, "negative.yaml");
    List<Finding> findings = Analyzer.analyze(MeshPosture.of(f.input)).findings();
    assertThat(findings).as("%s on %s", code, f.path).noneSatisfy(x -> assertThat(x.code()).isEqualTo(code.name()));
  }

  record Fixture(Path path, PostureInput input, String object) {}

  @SuppressWarnings("unchecked")
  static Fixture load(FindingCode code, String file) throws Exception {
    Path path = DIR.resolve(code.name()).resolve(file);
    assertThat(path).as("fixture for %s (every code has a positive and a negative one)", code).isRegularFile();
    String base = "http://127.0.0.1:" + jwksServer.getAddress().getPort();
    String text = Files.readString(path).replace("${JWKS}", base);
    Map<String, Object> settings = Map.of();
    String meshYaml = text;
    String[] docs = text.split("(?m)^---\\s*$", 2);
    Object first = new Yaml(new SafeConstructor(new LoaderOptions())).load(docs[0]);
    if (first instanceof Map<?, ?> m && "FindingFixture".equals(m.get("kind"))) {
      settings = (Map<String, Object>) m;
      meshYaml = docs.length > 1 ? docs[1] : "";
    }
    MeshSnapshotLoader.Loaded loaded = new MeshSnapshotLoader(MeshConfig.defaults())
        .load(new java.io.StringReader(meshYaml), path.toString(), 1);
    List<InputProblem> problems = new ArrayList<>();
    for (ParseResult.Failed p : loaded.problems()) {
      problems.add(new InputProblem(p.source(), p.reason()));
    }
    MeshSnapshot snapshot = loaded.snapshot();

    // Key sets: served, then fetched as the CLI fetches them.
    ((Map<String, String>) settings.getOrDefault("jwks", Map.of())).forEach(served::put);
    Map<String, JwksFetch> fetched = new TreeMap<>();
    Map<String, String> keySets = new TreeMap<>();
    for (String uri : JwksResolver.jwksUris(snapshot)) {
      try {
        String body = JwksResolver.httpFetcher().fetch(URI.create(uri), Duration.ofSeconds(5));
        JwksFetch jf = JwksFetch.of(uri, body);
        fetched.put(uri, jf);
        if (jf.ok()) {
          keySets.put(uri, body);
        }
      } catch (IOException | RuntimeException e) {
        fetched.put(uri, JwksFetch.failed(uri, e.toString()));
      }
    }
    ((Map<String, String>) settings.getOrDefault("sentJwks", Map.of()))
        .forEach((p, body) -> keySets.put(base + p, body));
    TranslationOptions options = TranslationOptions.defaults();
    options = options.withAuthz(options.authz().withJwks(new JwksSnapshot(keySets)));

    Instant now = Instant.parse("2026-12-05T12:00:00Z");
    List<X509Certificate> roots = new ArrayList<>();
    if (settings.get("root") instanceof String root) {
      X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509")
          .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(path.resolveSibling(root))));
      roots.add(cert);
      int days = ((Number) settings.get("rootExpiresInDays")).intValue();
      now = cert.getNotAfter().toInstant().minus(Duration.ofDays(days));
    }
    Optional<Duration> ttl = Optional.ofNullable((String) settings.get("workloadCertTtl")).map(Duration::parse);
    CaFacts ca = new CaFacts(roots.isEmpty() ? "unknown" : "plugged", "fixture " + path, roots, List.of(), ttl,
        Optional.empty(), CaFacts.AGENT_ROTATION, "");
    PostureInput input = new PostureInput(snapshot, options, Optional.empty(), ca, fetched, problems,
        "fixture " + path, now);
    return new Fixture(path, input, (String) settings.get("object"));
  }

  /** Guards the directory itself: no fixture for a code that does not exist. */
  @org.junit.jupiter.api.Test
  void everyFixtureDirectoryIsAFindingCode() throws IOException {
    TreeSet<String> codes = new TreeSet<>();
    for (FindingCode c : FindingCode.values()) {
      codes.add(c.name());
    }
    try (var dirs = Files.list(DIR)) {
      assertThat(dirs.map(p -> p.getFileName().toString()).toList()).allSatisfy(d -> assertThat(codes).contains(d));
    }
  }
}
