package dev.gatehouse.model.parse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.model.InvalidPolicy;
import dev.gatehouse.model.NamespaceInfo;
import dev.gatehouse.model.Policy;
import dev.gatehouse.model.PolicyKind;
import dev.gatehouse.model.Workload;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What every object needs before its kind is looked at: kind, apiVersion, metadata.name; lists; odd input. */
class ObjectEnvelopeTest {
  private final KubernetesObjectParser parser = new KubernetesObjectParser(Fixtures.MESH);

  @Test
  void missingKindApiVersionOrNameFails() {
    assertThat(Fixtures.failed("apiVersion: v1\nmetadata: {name: x}").reason()).isEqualTo("missing kind");
    assertThat(Fixtures.failed("kind: Pod\nmetadata: {name: x}").reason()).isEqualTo("Pod: missing apiVersion");
    assertThat(Fixtures.failed("apiVersion: v1\nkind: Pod").reason()).isEqualTo("Pod: missing metadata");
    assertThat(Fixtures.failed("apiVersion: v1\nkind: Pod\nmetadata: {namespace: a}").reason())
        .isEqualTo("Pod: missing metadata.name");
    assertThat(Fixtures.failed("apiVersion: v1\nkind: Pod\nmetadata: {name: ''}").reason())
        .isEqualTo("Pod: missing metadata.name");
  }

  @Test
  void aKindThatIsNotTextFails() {
    assertThat(Fixtures.failed("apiVersion: v1\nkind: [Pod]\nmetadata: {name: x}").reason())
        .isEqualTo("object: kind: expected a string, got a list");
  }

  @Test
  void unknownKindInAnIstioGroupFails() {
    ParseResult.Failed f = Fixtures.failed("""
        apiVersion: security.istio.io/v1
        kind: AuthorisationPolicy
        metadata: {name: british, namespace: foo}
        spec: {action: DENY}
        """);
    assertThat(f.reason()).isEqualTo("unknown kind security.istio.io/AuthorisationPolicy (british)");
    assertThat(f.source()).isEqualTo("test.yaml");
  }

  @Test
  void otherRealIstioKindsAreIgnored() {
    ParseResult r = Fixtures.parse("""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews, namespace: foo}
        spec: {hosts: [reviews]}
        """);
    assertThat(r).isEqualTo(new ParseResult.Ignored("VirtualService", "Gatehouse does not read networking.istio.io/VirtualService"));
  }

  @Test
  void kindsGatehouseDoesNotReadAreIgnored() {
    for (String apiVersionKind : List.of("apps/v1 Deployment", "v1 ConfigMap", "v1 Secret", "telemetry.istio.io/v1 Telemetry")) {
      String[] parts = apiVersionKind.split(" ");
      ParseResult r = Fixtures.parse("apiVersion: " + parts[0] + "\nkind: " + parts[1] + "\nmetadata: {name: x}\n");
      assertThat(r).as(apiVersionKind).isInstanceOf(ParseResult.Ignored.class);
      assertThat(((ParseResult.Ignored) r).kind()).isEqualTo(parts[1]);
    }
  }

  @Test
  void anUnsupportedVersionOfAKnownSecurityKindIsKeptAsInvalidSoItFailsClosed() {
    InvalidPolicy p = Fixtures.invalid("""
        apiVersion: security.istio.io/v2
        kind: AuthorizationPolicy
        metadata: {name: future, namespace: foo}
        spec:
          selector: {matchLabels: {app: a}}
          action: DENY
          rules: [{}]
        """);
    assertThat(p.reason())
        .isEqualTo("unsupported apiVersion security.istio.io/v2 for AuthorizationPolicy (accepted: v1, v1beta1)");
    assertThat(p.action()).isEqualTo("DENY");
    assertThat(p.selector()).contains(Map.of("app", "a"));
  }

  @Test
  void destinationRuleAcceptsV1alpha3ButSecurityKindsDoNot() {
    assertThat(Fixtures.parse("""
        apiVersion: security.istio.io/v1alpha3
        kind: PeerAuthentication
        metadata: {name: old, namespace: foo}
        """)).extracting(r -> ((ParseResult.Parsed) r).value()).isInstanceOf(InvalidPolicy.class);
    assertThat(Fixtures.value("""
        apiVersion: networking.istio.io/v1alpha3
        kind: DestinationRule
        metadata: {name: dr, namespace: foo}
        spec: {host: reviews}
        """)).isInstanceOf(Policy.class);
  }

  @Test
  void namespacedObjectsWithoutNamespaceGoToDefault() {
    Policy<?> p = Fixtures.policy("""
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: default}
        spec: {mtls: {mode: STRICT}}
        """);
    assertThat(p.namespace()).isEqualTo("default");
    NamespaceInfo ns = (NamespaceInfo) Fixtures.value("apiVersion: v1\nkind: Namespace\nmetadata: {name: default}\n");
    assertThat(ns.meta().namespace()).isEmpty();
  }

  @Test
  void parsedResultsCarryKindAndKey() {
    ParseResult r = Fixtures.parse("""
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: default, namespace: foo}
        """);
    assertThat(r).isInstanceOfSatisfying(ParseResult.Parsed.class, p -> {
      assertThat(p.kind()).isEqualTo("PeerAuthentication");
      assertThat(p.key().toString()).isEqualTo("foo/default");
    });
  }

  @Test
  void listKindIsExpandedByParseAll() {
    List<ParseResult> results = parser.parseAll(Fixtures.object("""
        apiVersion: v1
        kind: List
        items:
        - apiVersion: v1
          kind: Namespace
          metadata: {name: shop}
        - apiVersion: security.istio.io/v1
          kind: PeerAuthentication
          metadata: {name: default, namespace: shop}
          spec: {mtls: {mode: STRICT}}
        - apiVersion: apps/v1
          kind: Deployment
          metadata: {name: cart, namespace: shop}
        - just a string
        """), "list.yaml");
    assertThat(results).hasSize(4);
    assertThat(((ParseResult.Parsed) results.get(0)).value()).isInstanceOf(NamespaceInfo.class);
    assertThat(((ParseResult.Parsed) results.get(1)).value()).isInstanceOf(Policy.class);
    assertThat(results.get(2)).isInstanceOf(ParseResult.Ignored.class);
    assertThat(results.get(3)).isEqualTo(new ParseResult.Failed("list.yaml", "not a Kubernetes object (\"just a string\")"));
  }

  @Test
  void typedListItemsInheritKindAndApiVersionAsTheApiServerOmitsThem() {
    List<ParseResult> results = parser.parseAll(Fixtures.object("""
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicyList
        metadata: {resourceVersion: "99"}
        items:
        - metadata: {name: a, namespace: foo}
          spec: {action: DENY, rules: [{}]}
        - metadata: {name: b, namespace: foo}
        """), "kubectl get -o yaml");
    assertThat(results).hasSize(2).allSatisfy(r -> assertThat(((ParseResult.Parsed) r).value()).isInstanceOf(Policy.class));
    assertThat(((Policy<?>) ((ParseResult.Parsed) results.get(0)).value()).kind()).isEqualTo(PolicyKind.AUTHORIZATION_POLICY);
  }

  @Test
  void nestedListsAndEmptyListsExpand() {
    List<ParseResult> results = parser.parseAll(Fixtures.object("""
        apiVersion: v1
        kind: List
        items:
        - apiVersion: v1
          kind: List
          items:
          - {apiVersion: v1, kind: Namespace, metadata: {name: inner}}
        - {apiVersion: v1, kind: PodList, items: []}
        """), "nested.yaml");
    assertThat(results).singleElement().isInstanceOfSatisfying(ParseResult.Parsed.class,
        p -> assertThat(p.key().name()).isEqualTo("inner"));
  }

  @Test
  void parseOfAListSaysToUseParseAll() {
    assertThat(Fixtures.failed("apiVersion: v1\nkind: List\nitems: []\n").reason()).contains("parseAll");
  }

  @Test
  void nonObjectDocumentsFailInParseAll() {
    assertThat(parser.parseAll(List.of(1, 2), "s")).containsExactly(new ParseResult.Failed("s", "not a Kubernetes object (a list)"));
    assertThat(parser.parseAll(null, "s")).containsExactly(new ParseResult.Failed("s", "not a Kubernetes object (null)"));
    assertThat(parser.parse(null, "s")).isEqualTo(new ParseResult.Failed("s", "not a Kubernetes object (null)"));
  }

  @Test
  void objectsFromJacksonWithIntegerKeysAndLongsParse() {
    // A fabric8 GenericKubernetesResource hands over plain maps; numbers may be Long and map keys non-strings.
    Map<String, Object> object = new HashMap<>();
    object.put("apiVersion", "v1");
    object.put("kind", "Pod");
    object.put("metadata", Map.of("name", "p", "namespace", "a"));
    object.put("spec", Map.of("containers", List.of(Map.of("name", "app", "ports", List.of(Map.of("containerPort", 8080L))))));
    Workload w = (Workload) ((ParseResult.Parsed) parser.parse(object, "kubernetes")).value();
    assertThat(w.ports()).singleElement().satisfies(p -> assertThat(p.port()).isEqualTo(8080));
    assertThat(w.meta().source()).isEqualTo("kubernetes");
  }

  @Test
  void anUnexpectedFailureInsideTheParserBecomesAFailedResult() {
    // A map whose entrySet throws stands in for any bug: the parser reports it and keeps going.
    Map<String, Object> hostile = new HashMap<>() {
      @Override
      public Object get(Object key) {
        if ("metadata".equals(key)) {
          throw new IllegalStateException("boom\nsecond line");
        }
        return super.get(key);
      }
    };
    hostile.put("apiVersion", "v1");
    hostile.put("kind", "Pod");
    ParseResult.Failed f = (ParseResult.Failed) parser.parse(hostile, "weird");
    assertThat(f.reason()).isEqualTo("Pod: unexpected IllegalStateException: boom");
  }

  @Test
  void anUnexpectedFailureWhileExpandingAListIsReportedNotThrown() {
    List<Object> items = new ArrayList<>() {
      @Override
      public java.util.Iterator<Object> iterator() {
        throw new IllegalStateException("items unreadable");
      }
    };
    Map<String, Object> list = new HashMap<>(Map.of("apiVersion", "v1", "kind", "List"));
    list.put("items", items);
    assertThat(parser.parseAll(list, "odd")).containsExactly(
        new ParseResult.Failed("odd", "unexpected IllegalStateException: items unreadable"));
  }

  @Test
  void theParserNeverMutatesItsInput() {
    Map<String, Object> item = new HashMap<>(Map.of("metadata", Map.of("name", "n")));
    Map<String, Object> list = new HashMap<>(Map.of("apiVersion", "v1", "kind", "NamespaceList", "items", new ArrayList<>(List.of(item))));
    parser.parseAll(list, "s");
    assertThat(item).doesNotContainKeys("kind", "apiVersion");
  }

  @Test
  void aTimestampAlreadyReadAsADateIsAccepted() {
    // Plain SnakeYAML (not the loader) turns an unquoted timestamp into java.util.Date.
    Map<String, Object> object = Fixtures.object("""
        apiVersion: v1
        kind: Namespace
        metadata: {name: a, creationTimestamp: 2024-01-02T03:04:05Z}
        """);
    assertThat(object.get("metadata")).extracting(m -> ((Map<?, ?>) m).get("creationTimestamp"))
        .isInstanceOf(java.util.Date.class);
    NamespaceInfo ns = (NamespaceInfo) ((ParseResult.Parsed) parser.parse(object, "s")).value();
    assertThat(ns.meta().creationTimestamp()).isEqualTo(java.time.Instant.parse("2024-01-02T03:04:05Z"));
  }
}
