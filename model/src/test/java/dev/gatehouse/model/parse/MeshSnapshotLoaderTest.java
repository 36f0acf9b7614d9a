package dev.gatehouse.model.parse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.model.MeshConfig;
import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.model.ObjectKey;
import java.io.ByteArrayInputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class MeshSnapshotLoaderTest {
  private static final MeshConfig MESH = MeshConfig.defaults();

  @Test
  void loadsEveryFixtureIntoOneSnapshot() {
    String all = String.join("\n---\n",
        Fixtures.text("core-objects.yaml"),
        Fixtures.text("authorization-policies.yaml"),
        Fixtures.text("peer-authentications.yaml"),
        Fixtures.text("request-authentications.yaml"),
        Fixtures.text("destination-rules.yaml"));
    MeshSnapshotLoader.Loaded loaded = MeshSnapshotLoader.load(all, MESH);
    assertThat(loaded.problems()).isEmpty();
    MeshSnapshot s = loaded.snapshot();
    assertThat(s.version()).isEqualTo(1);
    assertThat(s.mesh()).isEqualTo(MESH);
    assertThat(s.counts())
        .containsEntry("Namespace", 1)
        .containsEntry("ServiceAccount", 1)
        .containsEntry("Pod", 1)
        .containsEntry("Service", 1)
        .containsEntry("EndpointSlice", 1)
        .containsEntry("AuthorizationPolicy", 11)
        .containsEntry("PeerAuthentication", 5)
        .containsEntry("RequestAuthentication", 4)
        .containsEntry("DestinationRule", 3)
        .containsEntry("invalid", 0);
    assertThat(s.servicesForWorkload(ObjectKey.of("shop", "cart-7d9f8-abcde")))
        .extracting(svc -> svc.name()).containsExactly("cart");
  }

  @Test
  void badObjectsBecomeProblemsAndInvalidPoliciesStayInTheSnapshot() {
    MeshSnapshotLoader.Loaded loaded = MeshSnapshotLoader.load("""
        apiVersion: v1
        kind: Namespace
        metadata: {name: shop}
        ---
        apiVersion: security.istio.io/v1
        kind: Foo
        metadata: {name: what, namespace: shop}
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: typo, namespace: shop}
        spec: {action: DENY, rulez: [{}]}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: cart, namespace: shop}
        ---
        # an empty document
        ---
        - not
        - an object
        """, MESH);
    assertThat(loaded.problems()).containsExactly(
        new ParseResult.Failed("yaml", "unknown kind security.istio.io/Foo (what)"),
        new ParseResult.Failed("yaml", "not a Kubernetes object (a list)"));
    assertThat(loaded.snapshot().namespaces()).containsOnlyKeys("shop");
    assertThat(loaded.snapshot().invalidPolicies()).singleElement().satisfies(p -> {
      assertThat(p.key()).isEqualTo(ObjectKey.of("shop", "typo"));
      assertThat(p.action()).isEqualTo("DENY");
    });
  }

  @Test
  void aStreamThatIsNotYamlYieldsOneProblemAndNoObjects() {
    MeshSnapshotLoader loader = new MeshSnapshotLoader(MESH);
    List<ParseResult> results = loader.parseYaml("""
        apiVersion: v1
        kind: Namespace
        metadata: {name: first}
        ---
        apiVersion: v1
        kind: Namespace
        metadata: {name: [unclosed
        """, "broken.yaml");
    assertThat(results).singleElement().isInstanceOfSatisfying(ParseResult.Failed.class, f -> {
      assertThat(f.source()).isEqualTo("broken.yaml");
      assertThat(f.reason()).startsWith("not valid YAML at line ");
    });
  }

  @Test
  void duplicateKeysAreAYamlErrorSoASecondActionCannotSilentlyWin() {
    List<ParseResult> results = new MeshSnapshotLoader(MESH).parseYaml("""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: twice, namespace: shop}
        spec:
          action: DENY
          action: ALLOW
          rules: [{}]
        """, "dup.yaml");
    assertThat(results).singleElement().isInstanceOfSatisfying(ParseResult.Failed.class,
        f -> assertThat(f.reason()).contains("not valid YAML").contains("duplicate key"));
  }

  @Test
  void yamlTagsThatWouldBuildJavaObjectsAreRefused() {
    List<ParseResult> results = new MeshSnapshotLoader(MESH).parseYaml(
        "!!java.io.File [\"/etc/passwd\"]\n", "tag.yaml");
    assertThat(results).singleElement().isInstanceOf(ParseResult.Failed.class);
  }

  @Test
  void listsInsideAStreamAreExpanded() {
    MeshSnapshotLoader.Loaded loaded = MeshSnapshotLoader.load("""
        apiVersion: v1
        kind: List
        items:
        - {apiVersion: v1, kind: Namespace, metadata: {name: a}}
        - {apiVersion: v1, kind: Namespace, metadata: {name: b}}
        ---
        apiVersion: v1
        kind: Namespace
        metadata: {name: c}
        """, MESH);
    assertThat(loaded.snapshot().namespaces()).containsOnlyKeys("a", "b", "c");
  }

  @Test
  void readerAndStreamOverloadsReadTheSameObjects() {
    String yaml = "apiVersion: v1\nkind: Namespace\nmetadata: {name: ü-test}\n";
    MeshSnapshot fromReader = MeshSnapshotLoader.load(new StringReader(yaml), MESH).snapshot();
    MeshSnapshot fromStream =
        MeshSnapshotLoader.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), MESH).snapshot();
    assertThat(fromReader.namespaces()).containsOnlyKeys("ü-test");
    assertThat(fromStream.namespaces()).isEqualTo(fromReader.namespaces());
  }

  @Test
  void sourceAndVersionAreThoseGiven() {
    MeshSnapshotLoader.Loaded loaded = new MeshSnapshotLoader(MESH)
        .load(new StringReader("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n"), "/etc/mesh/ns.yaml", 42);
    assertThat(loaded.snapshot().version()).isEqualTo(42);
    assertThat(loaded.snapshot().namespaces().get("a").meta().source()).isEqualTo("/etc/mesh/ns.yaml");
  }

  @Test
  void emptyInputIsAnEmptyMesh() {
    MeshSnapshotLoader.Loaded loaded = MeshSnapshotLoader.load("", MESH);
    assertThat(loaded.problems()).isEmpty();
    assertThat(loaded.snapshot().counts().values()).containsOnly(0);
  }

  @Test
  void anObjectDefinedTwiceIsReportedAndTheLaterOneWins() {
    MeshSnapshotLoader.Loaded loaded = new MeshSnapshotLoader(MESH).load(new StringReader("""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: p, namespace: shop}
        spec: {action: DENY, rules: [{}]}
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: p, namespace: shop}
        spec: {action: DENY, rulez: [{}]}
        """), "twice.yaml", 1);
    assertThat(loaded.problems()).containsExactly(
        new ParseResult.Failed("twice.yaml", "AuthorizationPolicy shop/p defined twice; using the last"));
    // The valid and the invalid version are one object: only the later (invalid) one remains.
    assertThat(loaded.snapshot().authorizationPolicies()).isEmpty();
    assertThat(loaded.snapshot().invalidPolicies()).singleElement()
        .satisfies(p -> assertThat(p.key()).isEqualTo(ObjectKey.of("shop", "p")));
  }

  @Test
  void dateLikeScalarsStayTextAsKubernetesReadsThem() {
    MeshSnapshot s = MeshSnapshotLoader.load("""
        apiVersion: v1
        kind: Namespace
        metadata:
          name: a
          creationTimestamp: 2024-01-02T03:04:05Z
          annotations: {released: 2024-01-02}
        """, MESH).snapshot();
    assertThat(s.namespaces().get("a").meta().annotations()).containsEntry("released", "2024-01-02");
    assertThat(s.namespaces().get("a").meta().creationTimestamp())
        .isEqualTo(java.time.Instant.parse("2024-01-02T03:04:05Z"));
  }

  @Test
  void aSpecThatContainsItselfIsInvalidNotAStackOverflow() {
    MeshSnapshotLoader.Loaded loaded = MeshSnapshotLoader.load("""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: loop, namespace: shop}
        spec: &spec
          action: DENY
          rules: [{}]
          nested: *spec
        """, MESH);
    assertThat(loaded.snapshot().invalidPolicies()).singleElement()
        .satisfies(p -> assertThat(p.reason()).isEqualTo("spec: nested deeper than 64 levels"));
  }

  @Test
  void aListThatContainsItselfStops() {
    List<ParseResult> results = new MeshSnapshotLoader(MESH).parseYaml("""
        &list
        apiVersion: v1
        kind: List
        items:
        - {apiVersion: v1, kind: Namespace, metadata: {name: a}}
        - *list
        """, "loop.yaml");
    assertThat(results).hasSize(10);
    assertThat(results.get(9)).isEqualTo(new ParseResult.Failed("loop.yaml", "Lists nested too deeply"));
  }

  @Test
  void aliasesCannotMultiplyAListBeyondTheCap() {
    // Each level names the previous one 8 times: 8^6 = 262,144 objects from a few lines of YAML.
    StringBuilder y = new StringBuilder("l0: &l0 [{apiVersion: v1, kind: Namespace, metadata: {name: a}}]\n");
    for (int i = 1; i <= 6; i++) {
      y.append("l").append(i).append(": &l").append(i).append(" {apiVersion: v1, kind: List, items: [");
      for (int j = 0; j < 8; j++) {
        y.append(j == 0 ? "" : ", ").append(i == 1 ? "{apiVersion: v1, kind: Namespace, metadata: {name: a}}" : "*l" + (i - 1));
      }
      y.append("]}\n");
    }
    KubernetesObjectParser parser = new KubernetesObjectParser(MESH);
    Object top = Fixtures.object(y.toString()).get("l6");
    List<ParseResult> results = parser.parseAll(top, "bomb.yaml");
    assertThat(results).hasSize(100_001);
    assertThat(results.get(100_000)).isEqualTo(
        new ParseResult.Failed("bomb.yaml", "more than 100000 objects in one document"));
  }
}
