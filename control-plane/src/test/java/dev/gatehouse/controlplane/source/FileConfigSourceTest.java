package dev.gatehouse.controlplane.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.gatehouse.api.istio.security.v1beta1.AuthorizationPolicy;
import dev.gatehouse.controlplane.source.ConfigInputErrors.Reason;
import dev.gatehouse.model.MeshConfig;
import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.model.ObjectKey;
import dev.gatehouse.model.Policy;
import dev.gatehouse.model.parse.KubernetesObjectParser;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileConfigSourceTest {
  private static final Duration AWAIT = Duration.ofSeconds(10);

  private static final String SHOP_NAMESPACE =
      """
      apiVersion: v1
      kind: Namespace
      metadata:
        name: shop
      """;

  private static final String FRONTEND_POD =
      """
      apiVersion: v1
      kind: Pod
      metadata:
        name: frontend-0
        namespace: shop
        labels: {app: frontend, security.istio.io/tlsMode: istio}
      spec:
        serviceAccountName: frontend
        containers: [{name: frontend, ports: [{containerPort: 8080}]}]
      status:
        podIP: 127.0.0.11
      """;

  private static final String DENY_LEGACY =
      """
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata:
        name: deny-legacy
        namespace: shop
      spec:
        action: DENY
        rules:
        - from:
          - source:
              namespaces: ["legacy"]
      """;

  @TempDir Path dir;

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final ConfigInputErrors errors = new ConfigInputErrors(registry);
  private final MeshConfigStream stream =
      new MeshConfigStream(MeshConfig.defaults(), Duration.ofMillis(20), Duration.ofSeconds(10), errors, registry);
  private FileConfigSource source;

  @AfterEach
  void stop() {
    if (source != null) {
      source.close();
    }
    stream.close();
  }

  @Test
  void loadsMultiDocumentFilesAtAnyDepth() throws IOException {
    write("a.yaml", SHOP_NAMESPACE + "---\n" + FRONTEND_POD);
    write("deep/er/still/policies.yml", "---\n" + DENY_LEGACY + "---\n");
    write(
        "list.json",
        """
        {"apiVersion": "v1", "kind": "List", "items": [
          {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "frontend", "namespace": "shop"}}]}
        """);
    write("notes.txt", "this is not config and is not read");
    write(".hidden/ignored.yaml", SHOP_NAMESPACE.replace("shop", "hidden"));

    start(Duration.ofSeconds(30));

    MeshSnapshot s = stream.current();
    assertThat(stream.synced()).isTrue();
    assertThat(s.namespaces()).containsOnlyKeys("shop");
    assertThat(s.workloadByIp("127.0.0.11")).hasValueSatisfying(w -> assertThat(w.hasSidecar()).isTrue());
    assertThat(s.serviceAccounts()).containsOnlyKeys(ObjectKey.of("shop", "frontend"));
    assertThat(s.authorizationPoliciesIn("shop"))
        .singleElement()
        .satisfies(p -> assertThat(p.spec().getAction()).isEqualTo(AuthorizationPolicy.Action.DENY));
    assertThat(totalErrors()).isZero();
  }

  @Test
  void addEditAndDeleteArePickedUpWithoutRestart() throws IOException {
    write("shop/namespace.yaml", SHOP_NAMESPACE);
    start(Duration.ofMillis(200));
    List<MeshSnapshot> pushed = new CopyOnWriteArrayList<>();
    stream.subscribe(pushed::add);

    write("shop/pods/frontend.yaml", FRONTEND_POD); // new file in a new subdirectory
    await().atMost(AWAIT).until(() -> latest(pushed).workloadByIp("127.0.0.11").isPresent());

    write("shop/pods/frontend.yaml", FRONTEND_POD.replace("127.0.0.11", "127.0.0.12"));
    await().atMost(AWAIT).until(() -> latest(pushed).workloadByIp("127.0.0.12").isPresent());
    assertThat(latest(pushed).workloadByIp("127.0.0.11")).isEmpty();

    Files.delete(dir.resolve("shop/pods/frontend.yaml"));
    await().atMost(AWAIT).until(() -> latest(pushed).workloads().isEmpty());
    assertThat(latest(pushed).namespaces()).containsOnlyKeys("shop");
  }

  @Test
  void fileThatIsNotYamlIsSkippedAndReportedWhileTheRestLoads() throws IOException {
    write("good.yaml", SHOP_NAMESPACE);
    write("broken.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: [unclosed\n");
    write("binary.yaml", new String(new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1}, java.nio.charset.StandardCharsets.ISO_8859_1));

    start(Duration.ofSeconds(30));

    assertThat(stream.current().namespaces()).containsOnlyKeys("shop");
    assertThat(errors.count(FileConfigSource.SOURCE, Reason.NOT_YAML)).isEqualTo(2.0);
    assertThat(stream.synced()).isTrue();
  }

  @Test
  void editThatBreaksTheYamlKeepsWhatTheFileDefinedBefore() throws IOException {
    write("shop.yaml", SHOP_NAMESPACE + "---\n" + DENY_LEGACY);
    start(Duration.ofSeconds(30));
    Policy<AuthorizationPolicy> before = stream.current().authorizationPolicies().get(0);

    write("shop.yaml", "kind: [this is: not, yaml\n");
    source.rescan();

    assertThat(stream.current().namespaces()).containsOnlyKeys("shop");
    assertThat(stream.current().authorizationPolicies()).containsExactly(before);
    assertThat(errors.count(FileConfigSource.SOURCE, Reason.NOT_YAML)).isEqualTo(1.0);

    source.rescan(); // an unchanged broken file is not reported again
    assertThat(errors.count(FileConfigSource.SOURCE, Reason.NOT_YAML)).isEqualTo(1.0);
  }

  @Test
  void policyWhoseSpecNoLongerParsesKeepsItsPreviousGoodVersion() throws IOException {
    write("policy.yaml", DENY_LEGACY);
    start(Duration.ofSeconds(30));
    Policy<AuthorizationPolicy> good = stream.current().authorizationPolicies().get(0);

    write("policy.yaml", DENY_LEGACY.replace("namespaces:", "namespaecs:"));
    source.rescan();

    assertThat(stream.current().authorizationPolicies()).containsExactly(good);
    assertThat(stream.current().invalidPolicies()).isEmpty();
    assertThat(errors.count(FileConfigSource.SOURCE, Reason.INVALID_SPEC)).isEqualTo(1.0);
  }

  @Test
  void newPolicyWhoseSpecDoesNotParseIsRecordedAsInvalid() throws IOException {
    write("policy.yaml", DENY_LEGACY.replace("namespaces:", "namespaecs:"));
    write("ns.yaml", SHOP_NAMESPACE);

    start(Duration.ofSeconds(30));

    MeshSnapshot s = stream.current();
    assertThat(s.authorizationPolicies()).isEmpty();
    assertThat(s.invalidPoliciesIn("shop"))
        .singleElement()
        .satisfies(p -> assertThat(p.meta().name()).isEqualTo("deny-legacy"));
    assertThat(s.namespaces()).containsOnlyKeys("shop");
    assertThat(errors.count(FileConfigSource.SOURCE, Reason.INVALID_SPEC)).isEqualTo(1.0);
  }

  @Test
  void unknownKindsAreReportedAndSkipped() throws IOException {
    write(
        "mixed.yaml",
        SHOP_NAMESPACE
            + """
            ---
            apiVersion: security.istio.io/v1
            kind: AuthorisationPolicy
            metadata: {name: typo, namespace: shop}
            spec: {}
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: frontend, namespace: shop}
            ---
            just a string
            """);

    start(Duration.ofSeconds(30));

    assertThat(stream.current().namespaces()).containsOnlyKeys("shop");
    assertThat(stream.current().authorizationPolicies()).isEmpty();
    assertThat(errors.count(FileConfigSource.SOURCE, Reason.INVALID_OBJECT)).isEqualTo(2.0);
    assertThat(registry.get("gatehouse.config.ignored.objects").tag("kind", "Deployment").counter().count())
        .isEqualTo(1.0);
  }

  @Test
  void deletingAFileRemovesOnlyObjectsNoOtherFileDefines() throws IOException {
    write("a.yaml", SHOP_NAMESPACE + "---\n" + DENY_LEGACY);
    write("b.yaml", SHOP_NAMESPACE);
    start(Duration.ofSeconds(30));
    assertThat(errors.count(FileConfigSource.SOURCE, Reason.DUPLICATE)).isEqualTo(1.0);

    Files.delete(dir.resolve("a.yaml"));
    source.rescan();

    assertThat(stream.current().namespaces()).containsOnlyKeys("shop");
    assertThat(stream.current().authorizationPolicies()).isEmpty();
  }

  @Test
  void vanishedConfigDirectoryKeepsTheLastConfig() throws IOException {
    Path sub = dir.resolve("mesh");
    Files.createDirectories(sub);
    Files.writeString(sub.resolve("policy.yaml"), DENY_LEGACY);
    source = new FileConfigSource(sub, parser(), stream, errors, Duration.ofSeconds(30));
    source.start();

    Files.delete(sub.resolve("policy.yaml"));
    Files.delete(sub);
    source.rescan();

    assertThat(stream.current().authorizationPolicies()).hasSize(1);
    assertThat(source.health().connected()).isFalse();
  }

  @Test
  void missingDirectoryFailsAtStartWithAClearMessage() {
    source = new FileConfigSource(dir.resolve("nope"), parser(), stream, errors, Duration.ofSeconds(1));

    assertThatThrownBy(source::start).hasMessageContaining("nope").hasMessageContaining("does not exist");
  }

  private void start(Duration rescan) {
    source = new FileConfigSource(dir, parser(), stream, errors, rescan);
    source.start();
  }

  private static KubernetesObjectParser parser() {
    return new KubernetesObjectParser(MeshConfig.defaults());
  }

  private void write(String relative, String content) throws IOException {
    Path p = dir.resolve(relative);
    Files.createDirectories(p.getParent());
    Files.writeString(p, content, java.nio.charset.StandardCharsets.ISO_8859_1);
  }

  private double totalErrors() {
    return registry.find("gatehouse.config.input.errors").counters().stream().mapToDouble(c -> c.count()).sum();
  }

  private static MeshSnapshot latest(List<MeshSnapshot> pushed) {
    return pushed.isEmpty() ? MeshSnapshot.empty(MeshConfig.defaults()) : pushed.get(pushed.size() - 1);
  }
}
