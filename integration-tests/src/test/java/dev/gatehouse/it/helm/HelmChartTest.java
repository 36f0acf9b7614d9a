package dev.gatehouse.it.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import dev.gatehouse.controlplane.ca.CaProperties;
import dev.gatehouse.controlplane.config.GatehouseProperties;
import dev.gatehouse.controlplane.config.SourceMode;
import dev.gatehouse.controlplane.xds.XdsProperties;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.util.unit.DataSize;

/**
 * Renders the Helm chart with helm-java (Helm's own Go library, offline) and checks what a cluster would get: the
 * chart lints for every CA mode, the schema refuses bad values at {@code helm template} time, the Deployment's
 * arguments bind to Gatehouse's real properties classes, the pod runs locked down, the probes use the monitoring port
 * the container declares, and the optional objects render when switched on. The RBAC rules are compared with the API
 * calls Gatehouse really makes in {@code HaReplicasTest}; the probes are called on a running replica there too.
 */
class HelmChartTest {

  @ParameterizedTest
  @ValueSource(strings = {"selfSigned", "plugged", "vault", "spire", "auto"})
  void chartLintsCleanForEveryCaMode(String mode, @TempDir Path dir) throws Exception {
    // helm-java's lint takes no values file: lint a copy of the chart whose values.yaml selects the mode.
    Path copy = dir.resolve("gatehouse");
    try (var files = Files.walk(RenderedChart.CHART)) {
      for (Path f : files.toList()) {
        Path target = copy.resolve(RenderedChart.CHART.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(target);
        } else {
          Files.copy(f, target);
        }
      }
    }
    Path values = copy.resolve("values.yaml");
    String original = Files.readString(values);
    String changed = original.replace("\n  mode: selfSigned\n", "\n  mode: " + mode + "\n");
    assertThat(changed.equals(original)).as("values.yaml sets ca.mode: selfSigned").isEqualTo(mode.equals("selfSigned"));
    if (mode.equals("vault")) { // vault mode needs an address (the render refuses to go without one)
      String withAddress = changed.replace("\n    address: \"\"", "\n    address: https://vault.vault.svc:8200");
      assertThat(withAddress).isNotEqualTo(changed);
      changed = withAddress;
    }
    Files.writeString(values, changed);
    LintResult result = new Helm(copy).lint().strict().call();
    assertThat(result.isFailed()).as("helm lint (ca.mode=%s): %s", mode, result.getMessages()).isFalse();
  }

  @Test
  void defaultsAreTwoSpreadReplicasWithADisruptionBudget() {
    RenderedChart chart = RenderedChart.render(Map.of());
    Map<String, Object> deployment = chart.only("Deployment");
    assertThat(RenderedChart.at(deployment, "spec.replicas")).isEqualTo(2);
    Map<String, Object> pod = RenderedChart.map(deployment, "spec.template.spec");
    assertThat(RenderedChart.at(pod, "affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution"))
        .asList().hasSize(1);
    assertThat(RenderedChart.at(pod, "topologySpreadConstraints")).asList().hasSize(1);
    assertThat(RenderedChart.at(chart.only("PodDisruptionBudget"), "spec.minAvailable")).isEqualTo(1);
    assertThat(RenderedChart.at(deployment, "spec.strategy.rollingUpdate.maxUnavailable")).isEqualTo(0);
    assertThat(chart.kinds()).doesNotContain("HorizontalPodAutoscaler", "ServiceMonitor", "NetworkPolicy",
        "CustomResourceDefinition");
  }

  @Test
  void podRunsAsNonRootOnAReadOnlyFilesystemWithoutCapabilities() {
    RenderedChart chart = RenderedChart.render(Map.of());
    Map<String, Object> pod = RenderedChart.map(chart.only("Deployment"), "spec.template.spec");
    assertThat(RenderedChart.at(pod, "securityContext.runAsNonRoot")).isEqualTo(true);
    assertThat(RenderedChart.at(pod, "securityContext.seccompProfile.type")).isEqualTo("RuntimeDefault");
    Map<String, Object> container = chart.container();
    assertThat(RenderedChart.at(container, "securityContext.runAsNonRoot")).isEqualTo(true);
    assertThat(RenderedChart.at(container, "securityContext.readOnlyRootFilesystem")).isEqualTo(true);
    assertThat(RenderedChart.at(container, "securityContext.allowPrivilegeEscalation")).isEqualTo(false);
    assertThat(RenderedChart.at(container, "securityContext.privileged")).isEqualTo(false);
    assertThat(RenderedChart.at(container, "securityContext.capabilities.drop")).isEqualTo(List.of("ALL"));
    assertThat(RenderedChart.at(container, "securityContext.capabilities.add")).isNull();
    assertThat(RenderedChart.at(container, "securityContext.seccompProfile.type")).isEqualTo("RuntimeDefault");
    assertThat((Integer) RenderedChart.at(container, "securityContext.runAsUser")).isPositive();
    // The read-only root needs one writable place: /tmp (JVM, Tomcat, gRPC's native TLS library).
    assertThat(RenderedChart.list(container, "volumeMounts")).anySatisfy(m -> assertThat(m.get("mountPath")).isEqualTo("/tmp"));
    assertThat(RenderedChart.at(container, "resources.requests.cpu")).isNotNull();
    assertThat(RenderedChart.at(container, "resources.limits.memory")).isNotNull();
  }

  @Test
  void probesUseTheActuatorGroupsOnTheDeclaredMonitoringPort() {
    RenderedChart chart = RenderedChart.render(Map.of("ports.http", 16014));
    Map<String, Object> container = chart.container();
    Map<String, Object> ports = new LinkedHashMap<>();
    RenderedChart.list(container, "ports").forEach(p -> ports.put((String) p.get("name"), p.get("containerPort")));
    assertThat(ports).containsEntry("http-monitoring", 16014);
    assertThat(RenderedChart.at(container, "startupProbe.httpGet.path")).isEqualTo("/actuator/health/liveness");
    assertThat(RenderedChart.at(container, "readinessProbe.httpGet.path")).isEqualTo("/actuator/health/readiness");
    assertThat(RenderedChart.at(container, "livenessProbe.httpGet.path")).isEqualTo("/actuator/health/liveness");
    for (String probe : List.of("startupProbe", "readinessProbe", "livenessProbe")) {
      assertThat(RenderedChart.at(container, probe + ".httpGet.port")).as(probe).isEqualTo("http-monitoring");
    }
    assertThat(chart.args()).contains("--server.port=16014");
  }

  @Test
  void terminationGracePeriodCoversTheDrainWindow() {
    RenderedChart chart = RenderedChart.render(Map.of("drainWindowSeconds", 45, "terminationGraceMarginSeconds", 10));
    assertThat(RenderedChart.at(chart.only("Deployment"), "spec.template.spec.terminationGracePeriodSeconds")).isEqualTo(55);
    assertThat(chart.args()).contains("--gatehouse.drain.window=45s", "--gatehouse.drain.in-flight-timeout=5s");
    ChartArguments.assertEveryGatehousePropertyBinds(chart.args());
  }

  @Test
  void leaderElectionValuesReachTheLease() {
    RenderedChart chart = RenderedChart.render(Map.of("leaderElection.leaseName", "gh-lease",
        "leaderElection.leaseDuration", "20s", "leaderElection.renewDeadline", "12s", "leaderElection.retryPeriod", "3s"));
    assertThat(chart.args()).contains("--gatehouse.leader-election.lease-name=gh-lease",
        "--gatehouse.leader-election.lease-duration=20s", "--gatehouse.leader-election.renew-deadline=12s",
        "--gatehouse.leader-election.retry-period=3s");
    ChartArguments.assertEveryGatehousePropertyBinds(chart.args());
  }

  @Test
  void deploymentArgumentsBindToGatehouseProperties() {
    RenderedChart chart = RenderedChart.render(Map.of("mesh.trustDomain", "corp.example", "debounce.quietPeriod", "250ms",
        "replicaCount", 3, "mesh.defaultServiceExportTo[0]", "."));
    assertThat(RenderedChart.at(chart.only("Deployment"), "spec.replicas")).isEqualTo(3);
    GatehouseProperties bound = ChartArguments.bind(chart.args(), "gatehouse", GatehouseProperties.class);
    assertThat(bound.source()).isEqualTo(SourceMode.KUBERNETES);
    assertThat(bound.trustDomain()).isEqualTo("corp.example");
    assertThat(bound.rootNamespace()).isEqualTo("istio-system");
    assertThat(bound.debounce().quietPeriod()).isEqualTo(Duration.ofMillis(250));
    assertThat(bound.debounce().maxDelay()).isEqualTo(Duration.ofSeconds(10));
    assertThat(bound.grpc().securePort()).isEqualTo(15012);
    assertThat(bound.grpc().plaintextPort()).isEqualTo(15010);
    assertThat(bound.defaultServiceExportTo()).containsExactly(".");
    assertThat(chart.args()).contains("--server.port=15014");
  }

  @ParameterizedTest
  @ValueSource(strings = {"selfSigned", "plugged", "vault", "spire", "auto"})
  void everyCaModeRendersArgumentsTheApplicationBinds(String mode) {
    RenderedChart chart = RenderedChart.render(mode.equals("vault")
        ? Map.of("ca.mode", mode, "ca.vault.address", "https://vault.vault.svc:8200") : Map.of("ca.mode", mode));
    assertThat(chart.args()).contains("--gatehouse.ca.mode=" + mode);
    ChartArguments.assertEveryGatehousePropertyBinds(chart.args());
  }

  @Test
  void pluggedModeMountsTheSecretAndGrantsOnlyIt() {
    RenderedChart chart = RenderedChart.render(Map.of("ca.mode", "plugged", "ca.plugged.secretName", "corp-intermediate"));
    assertThat(chart.args()).contains("--gatehouse.ca.plugged-in.secret-name=corp-intermediate",
        "--gatehouse.ca.plugged-in.dir=/etc/cacerts");
    Map<String, Object> pod = RenderedChart.map(chart.only("Deployment"), "spec.template.spec");
    assertThat(RenderedChart.list(pod, "volumes")).anySatisfy(v ->
        assertThat(RenderedChart.at(v, "secret.secretName")).isEqualTo("corp-intermediate"));
    assertThat(RenderedChart.list(chart.container(), "volumeMounts")).anySatisfy(m ->
        assertThat(m.get("mountPath")).isEqualTo("/etc/cacerts"));
    List<Map<String, Object>> rules = RenderedChart.list(chart.only("Role"), "rules");
    assertThat(rules).anySatisfy(r -> {
      assertThat(r.get("resources")).isEqualTo(List.of("secrets"));
      assertThat(r.get("resourceNames")).isEqualTo(List.of("corp-intermediate"));
    });
    // A plugged-in CA never creates a root of its own, so it may not create Secrets.
    assertThat(rules).noneSatisfy(r -> {
      assertThat(r.get("resources")).isEqualTo(List.of("secrets"));
      assertThat(r.get("verbs").toString()).contains("create");
    });
  }

  @Test
  void secretsAreNeverGrantedClusterWide() {
    for (String mode : List.of("selfSigned", "plugged", "auto")) {
      RenderedChart chart = RenderedChart.render(Map.of("ca.mode", mode));
      assertThat(RenderedChart.list(chart.only("ClusterRole"), "rules"))
          .as("ca.mode=%s", mode)
          .noneSatisfy(r -> assertThat(r.get("resources").toString()).contains("secrets"));
    }
  }

  @Test
  void optionalObjectsRenderWhenEnabled() {
    RenderedChart chart = RenderedChart.render(Map.of(
        "serviceMonitor.enabled", true, "autoscaling.enabled", true, "autoscaling.maxReplicas", 7,
        "networkPolicy.enabled", true, "crds.install", true, "priorityClassName", "system-cluster-critical",
        "podAnnotations.team", "mesh", "extraArgs[0]", "--gatehouse.ca.san-policy=REPLACE"));
    Map<String, Object> monitor = chart.only("ServiceMonitor");
    assertThat(RenderedChart.at(monitor, "spec.endpoints")).asList().singleElement()
        .satisfies(e -> assertThat(((Map<?, ?>) e).get("path")).isEqualTo("/metrics"));
    assertThat(RenderedChart.at(chart.only("HorizontalPodAutoscaler"), "spec.maxReplicas")).isEqualTo(7);
    assertThat(RenderedChart.at(chart.only("Deployment"), "spec.replicas")).as("HPA owns the replica count").isNull();
    List<Map<String, Object>> ingress = RenderedChart.list(chart.only("NetworkPolicy"), "spec.ingress");
    assertThat(ingress).hasSize(2);
    List<Map<String, Object>> crds = chart.all("CustomResourceDefinition");
    assertThat(crds).extracting(c -> RenderedChart.at(c, "metadata.name")).containsExactlyInAnyOrder(
        "peerauthentications.security.istio.io", "authorizationpolicies.security.istio.io",
        "requestauthentications.security.istio.io", "destinationrules.networking.istio.io");
    assertThat(crds).allSatisfy(c -> {
      assertThat(RenderedChart.at(c, "metadata.annotations")).isEqualTo(Map.of("helm.sh/resource-policy", "keep"));
      assertThat(RenderedChart.list(c, "spec.versions")).filteredOn(v -> Boolean.TRUE.equals(v.get("storage"))).hasSize(1);
    });
    Map<String, Object> pod = RenderedChart.map(chart.only("Deployment"), "spec.template.spec");
    assertThat(pod.get("priorityClassName")).isEqualTo("system-cluster-critical");
    assertThat(RenderedChart.at(chart.only("Deployment"), "spec.template.metadata.annotations.team")).isEqualTo("mesh");
    assertThat(chart.args()).contains("--gatehouse.ca.san-policy=REPLACE");
  }

  /**
   * The hardened setting: {@code xds.plaintext.enabled=false} turns the application's plaintext xDS port off and
   * removes 15010 from the container, the Service and the NetworkPolicy, so nothing in the cluster reaches an
   * unauthenticated xDS port. The default keeps it everywhere (istiod's layout).
   */
  @Test
  void plaintextXdsPortCanBeSwitchedOff() {
    RenderedChart open = RenderedChart.render(Map.of("networkPolicy.enabled", true));
    assertThat(ChartArguments.bind(open.args(), "gatehouse", GatehouseProperties.class).grpc().plaintextEnabled()).isTrue();
    assertThat(ports(open)).containsEntry("deployment/grpc-xds", 15010).containsEntry("service/grpc-xds", 15010)
        .containsEntry("networkPolicy/15010", 15010);

    RenderedChart hardened = RenderedChart.render(Map.of("xds.plaintext.enabled", false, "networkPolicy.enabled", true));
    assertThat(hardened.args()).contains("--gatehouse.grpc.plaintext-enabled=false");
    GatehouseProperties bound = ChartArguments.bind(hardened.args(), "gatehouse", GatehouseProperties.class);
    assertThat(bound.grpc().plaintextEnabled()).isFalse();
    assertThat(bound.grpc().securePort()).isEqualTo(15012);
    assertThat(ports(hardened)).doesNotContainValue(15010)
        .containsEntry("deployment/grpc-xds-tls", 15012).containsEntry("service/grpc-xds-tls", 15012)
        .containsEntry("networkPolicy/15012", 15012).containsEntry("service/http-monitoring", 15014);
    ChartArguments.assertEveryGatehousePropertyBinds(hardened.args());
  }

  /**
   * The push tuning values reach {@code gatehouse.xds.*}: by default the application's own defaults (64 MB response
   * budget, 10 s stall, 30 s NACK back-off, Istio's push throttle), and what a values file sets otherwise.
   */
  @Test
  void xdsPushTuningValuesBindToTheApplicationsProperties() {
    XdsProperties defaults = ChartArguments.bind(RenderedChart.render(Map.of()).args(), "gatehouse.xds",
        XdsProperties.class);
    assertThat(defaults.responseBudget()).isEqualTo(DataSize.ofMegabytes(64));
    assertThat(defaults.stallAfter()).isEqualTo(Duration.ofSeconds(10));
    assertThat(defaults.nackBackoff()).isEqualTo(Duration.ofSeconds(30));
    assertThat(defaults.pushThrottle()).isZero();

    RenderedChart tuned = RenderedChart.render(Map.of("xds.responseBudget", "256MB", "xds.stallAfter", "3s",
        "xds.nackBackoff", "5s", "xds.pushThrottle", 8));
    XdsProperties bound = ChartArguments.bind(tuned.args(), "gatehouse.xds", XdsProperties.class);
    assertThat(bound.responseBudget()).isEqualTo(DataSize.ofMegabytes(256));
    assertThat(bound.stallAfter()).isEqualTo(Duration.ofSeconds(3));
    assertThat(bound.nackBackoff()).isEqualTo(Duration.ofSeconds(5));
    assertThat(bound.pushThrottle()).isEqualTo(8);
    ChartArguments.assertEveryGatehousePropertyBinds(tuned.args());
  }

  /** Every port the chart declares: container ports, Service ports and NetworkPolicy ingress ports. */
  private static Map<String, Object> ports(RenderedChart chart) {
    Map<String, Object> ports = new LinkedHashMap<>();
    RenderedChart.list(chart.container(), "ports").forEach(p -> ports.put("deployment/" + p.get("name"), p.get("containerPort")));
    RenderedChart.list(chart.only("Service"), "spec.ports").forEach(p -> ports.put("service/" + p.get("name"), p.get("port")));
    for (Map<String, Object> rule : RenderedChart.list(chart.only("NetworkPolicy"), "spec.ingress")) {
      RenderedChart.list(rule, "ports").forEach(p -> ports.put("networkPolicy/" + p.get("port"), p.get("port")));
    }
    return ports;
  }

  @Test
  void singleReplicaHasNoDisruptionBudget() {
    assertThat(RenderedChart.render(Map.of("replicaCount", 1)).kinds()).doesNotContain("PodDisruptionBudget");
  }

  /** A typo or a wrong type fails {@code helm template}/{@code helm install}, not the running pod. */
  @ParameterizedTest
  @ValueSource(strings = {
      "replicaCount: two",                          // wrong type
      "replicas: 3",                                // unknown top-level key (typo of replicaCount)
      "ca:\n  mode: selfsigned",                    // not one of the CA modes
      "ca:\n  selfSigned:\n    secretNmae: x",      // typo in a nested key
      "debounce:\n  quietPeriod: 100 millis",       // not a duration
      "ports:\n  grpcSecure: 70000",                // port out of range
      "replicaCount: 0",                            // below the minimum
      "mesh:\n  defaultMtlsMode: strict",           // Istio's enum is upper case
      "leaderElection:\n  leaseDuration: 15",       // a duration needs its unit
      "extraArgs: [\"gatehouse.ca.mode=vault\"]",   // not an argument (no leading --)
      "mesh:\n  trustDomain: Corp_Example",         // not a DNS name
      "ca:\n  vault:\n    adress: https://vault:8200", // unknown key in the upstream CA block
      "ca:\n  vault:\n    issuance: Leaf",        // not leaf|intermediate
      "ca:\n  vault:\n    auth:\n      method: userpass", // not a supported auth method
      "ca:\n  vault:\n    renewAt: 1.5",          // a fraction of the intermediate's life
      "ca:\n  vault:\n    maxAttempts: 0",        // at least one attempt
      "ca:\n  vault:\n    address: vault:8200",   // not a URL
      "ca:\n  vault:\n    readTimeout: 5",        // a duration needs its unit
      "ca:\n  vault:\n    auth:\n      token:\n        secretNmae: t", // typo in the auth block
      "ca:\n  spire:\n    issuance: downstream",  // not leaf|intermediate
      "ca:\n  spire:\n    serverAddress: spire-server", // host:port
      "ca:\n  spire:\n    socket: /run/spire/api.sock", // socket is an object (hostPath/volume/fileName)
      "ca:\n  spire:\n    serverId: spire/server", // a SPIFFE ID
      "xds:\n  plaintext:\n    enabled: \"no\"", // a boolean
      "xds:\n  plaintxt:\n    enabled: false",  // typo in the xds block
      "ca:\n  overlapRoots:\n    until: 72h", // an instant, not a duration
      "ca:\n  overlapRoots:\n    until: \"2026-12-20\"", // an instant needs its time and zone
      "ca:\n  overlapRoots:\n    configMap: old-roots", // typo in the overlapRoots block
      "xds:\n  responseBudget: 67108864", // a size with its unit (64MB)
      "xds:\n  responseBudget: 0MB", // at least one byte
      "xds:\n  stallAfter: 10", // a duration
      "xds:\n  pushThrottle: -1", // 0 (Istio's default) or more
  })
  void schemaRefusesBadValues(String yaml, @TempDir Path dir) throws Exception {
    Path values = dir.resolve("bad-values.yaml");
    Files.writeString(values, yaml + "\n");
    assertThatThrownBy(() -> new Helm(RenderedChart.CHART).template().withName("gatehouse").withNamespace("istio-system")
        .withValuesFile(values).call())
        .as("values %s", yaml)
        .hasMessageContaining("values don't meet the specifications of the schema");
  }

  @Test
  void crossFieldMistakesFailTheRender() {
    assertThatThrownBy(() -> RenderedChart.render(Map.of("autoscaling.enabled", true, "autoscaling.minReplicas", 6,
        "autoscaling.maxReplicas", 3)))
        .hasMessageContaining("autoscaling.minReplicas (6) must not exceed autoscaling.maxReplicas (3)");
    assertThatThrownBy(() -> RenderedChart.render(Map.of("ports.http", 15012)))
        .hasMessageContaining("must differ");
  }

  @Test
  void vaultModeWithKubernetesAuthBindsAndMountsTheBundleAndAProjectedToken() {
    RenderedChart chart = RenderedChart.render(Map.of("ca.mode", "vault",
        "ca.vault.address", "https://vault.vault.svc:8200", "ca.vault.namespace", "corp/mesh",
        "ca.vault.pkiMount", "pki_int", "ca.vault.issuance", "intermediate",
        "ca.vault.intermediateTtl", "48h", "ca.vault.caBundle.configMapName", "vault-ca", "ca.vault.caBundle.key", "ca.pem",
        "ca.vault.auth.kubernetes.audience", "vault", "ca.vault.auth.kubernetes.role", "gatehouse-mesh"));
    ChartArguments.assertEveryGatehousePropertyBinds(chart.args());
    CaProperties ca = ChartArguments.bind(chart.args(), "gatehouse.ca", CaProperties.class);
    assertThat(ca.vault().address()).hasToString("https://vault.vault.svc:8200");
    assertThat(ca.vault().namespace()).isEqualTo("corp/mesh");
    assertThat(ca.vault().pkiMount()).isEqualTo("pki_int");
    assertThat(ca.vault().role()).isEqualTo("gatehouse");
    assertThat(ca.vault().issuance()).isEqualTo(CaProperties.Issuance.INTERMEDIATE);
    assertThat(ca.vault().intermediateTtl()).isEqualTo(Duration.ofHours(48));
    assertThat(ca.vault().renewAt()).isEqualTo(0.5);
    assertThat(ca.vault().auth().method()).isEqualTo("kubernetes");
    assertThat(ca.vault().auth().kubernetes().role()).isEqualTo("gatehouse-mesh");
    Path bundle = ca.vault().caBundleFile();
    Path token = ca.vault().auth().kubernetes().tokenFile();
    assertThat(bundle).isEqualTo(Path.of("/etc/gatehouse/vault-ca/ca.pem"));
    assertThat(token).isEqualTo(Path.of("/var/run/secrets/gatehouse/vault-token/token"));
    // The files the arguments name are where the volumes put them.
    assertMounted(chart, "vault-ca", bundle);
    assertMounted(chart, "vault-sa-token", token);
    Map<String, Object> caVolume = volume(chart, "vault-ca");
    assertThat(RenderedChart.at(caVolume, "configMap.name")).isEqualTo("vault-ca");
    Map<String, Object> tokenVolume = volume(chart, "vault-sa-token");
    assertThat(RenderedChart.list(tokenVolume, "projected.sources")).singleElement().satisfies(src -> {
      assertThat(RenderedChart.at(src, "serviceAccountToken.audience")).isEqualTo("vault");
      assertThat(RenderedChart.at(src, "serviceAccountToken.expirationSeconds")).isEqualTo(3600);
    });
    assertThat(chart.args()).noneMatch(a -> a.startsWith("--gatehouse.ca.spire."));
  }

  @Test
  void vaultModeWithTheDefaultServiceAccountTokenMountsNothingExtra() {
    RenderedChart chart = RenderedChart.render(Map.of("ca.mode", "vault", "ca.vault.address", "https://vault:8200"));
    ChartArguments.assertEveryGatehousePropertyBinds(chart.args());
    CaProperties ca = ChartArguments.bind(chart.args(), "gatehouse.ca", CaProperties.class);
    assertThat(ca.vault().issuance()).isEqualTo(CaProperties.Issuance.LEAF);
    assertThat(ca.vault().caBundleFile()).isNull();
    assertThat(ca.vault().auth().kubernetes().tokenFile())
        .isEqualTo(Path.of("/var/run/secrets/kubernetes.io/serviceaccount/token"));
    assertThat(volumeNames(chart)).containsExactly("tmp");
  }

  @Test
  void vaultAppRoleAndTokenAuthReadTheirSecretsFromMountedFiles() {
    RenderedChart approle = RenderedChart.render(Map.of("ca.mode", "vault", "ca.vault.address", "https://vault:8200",
        "ca.vault.auth.method", "approle", "ca.vault.auth.approle.roleId", "db02de05-fa39-4855",
        "ca.vault.auth.approle.secretIdSecret.name", "gatehouse-approle", "ca.vault.caBundle.secretName", "vault-tls"));
    ChartArguments.assertEveryGatehousePropertyBinds(approle.args());
    CaProperties.Vault vault = ChartArguments.bind(approle.args(), "gatehouse.ca", CaProperties.class).vault();
    assertThat(vault.auth().method()).isEqualTo("approle");
    assertThat(vault.auth().approle().roleId()).isEqualTo("db02de05-fa39-4855");
    assertMounted(approle, "vault-approle", vault.auth().approle().secretIdFile());
    assertThat(RenderedChart.at(volume(approle, "vault-approle"), "secret.secretName")).isEqualTo("gatehouse-approle");
    assertMounted(approle, "vault-ca", vault.caBundleFile());
    assertThat(RenderedChart.at(volume(approle, "vault-ca"), "secret.secretName")).isEqualTo("vault-tls");

    RenderedChart token = RenderedChart.render(Map.of("ca.mode", "vault", "ca.vault.address", "https://vault:8200",
        "ca.vault.auth.method", "token", "ca.vault.auth.token.secretName", "gatehouse-vault-token"));
    ChartArguments.assertEveryGatehousePropertyBinds(token.args());
    CaProperties.Vault tokenVault = ChartArguments.bind(token.args(), "gatehouse.ca", CaProperties.class).vault();
    assertThat(tokenVault.auth().method()).isEqualTo("token");
    assertMounted(token, "vault-token", tokenVault.auth().tokenFile());
    assertThat(RenderedChart.at(volume(token, "vault-token"), "secret.secretName")).isEqualTo("gatehouse-vault-token");
  }

  @Test
  void spireLeafModeMountsTheServerSocketFromTheNode() {
    RenderedChart chart = RenderedChart.render(Map.of("ca.mode", "spire", "ca.spire.trustDomain", "cluster.local",
        "ca.spire.timeout", "3s"));
    ChartArguments.assertEveryGatehousePropertyBinds(chart.args());
    CaProperties.Spire spire = ChartArguments.bind(chart.args(), "gatehouse.ca", CaProperties.class).spire();
    assertThat(spire.issuance()).isEqualTo(CaProperties.Issuance.LEAF);
    assertThat(spire.socket()).isEqualTo(Path.of("/run/spire/server-socket/api.sock"));
    assertThat(spire.timeout()).isEqualTo(Duration.ofSeconds(3));
    assertMounted(chart, "spire-server-socket", spire.socket());
    assertThat(RenderedChart.at(volume(chart, "spire-server-socket"), "hostPath.path")).isEqualTo("/run/spire/server-sockets");
    assertThat(chart.args()).noneMatch(a -> a.startsWith("--gatehouse.ca.vault."));

    RenderedChart csi = RenderedChart.render(Map.of("ca.mode", "spire",
        "ca.spire.socket.volume.csi.driver", "csi.example.com", "ca.spire.socket.volume.csi.readOnly", true));
    Map<String, Object> socket = volume(csi, "spire-server-socket");
    assertThat(RenderedChart.at(socket, "csi.driver")).isEqualTo("csi.example.com");
    assertThat(socket).doesNotContainKey("hostPath");
  }

  @Test
  void spireIntermediateModeMountsTheDownstreamSvid() throws Exception {
    // A values file: --set would pass 0.6 as a string.
    Path values = Files.createTempFile("gatehouse-spire-values", ".yaml");
    Files.writeString(values, """
        ca:
          mode: spire
          spire:
            issuance: intermediate
            serverAddress: spire-server.spire.svc:8081
            serverId: spiffe://cluster.local/spire/server
            downstreamSvid:
              secretName: gatehouse-svid
            renewAt: 0.6
        """);
    RenderedChart chart = RenderedChart.render(values);
    ChartArguments.assertEveryGatehousePropertyBinds(chart.args());
    CaProperties.Spire spire = ChartArguments.bind(chart.args(), "gatehouse.ca", CaProperties.class).spire();
    assertThat(spire.issuance()).isEqualTo(CaProperties.Issuance.INTERMEDIATE);
    assertThat(spire.serverAddress()).isEqualTo("spire-server.spire.svc:8081");
    assertThat(spire.serverId()).isEqualTo("spiffe://cluster.local/spire/server");
    assertThat(spire.renewAt()).isEqualTo(0.6);
    assertMounted(chart, "downstream-svid", spire.downstreamSvidDir().resolve("svid.pem"));
    assertThat(RenderedChart.at(volume(chart, "downstream-svid"), "secret.secretName")).isEqualTo("gatehouse-svid");
    assertThat(volumeNames(chart)).doesNotContain("spire-server-socket");
  }

  @Test
  void overlapRootsOfAModeSwitchAreMountedAndTheirOverlapEndBinds() {
    RenderedChart chart = RenderedChart.render(Map.of("ca.mode", "vault", "ca.vault.address", "https://vault:8200",
        "ca.overlapRoots.configMapName", "gatehouse-overlap-roots", "ca.overlapRoots.until", "2026-12-20T00:00:00Z"));
    ChartArguments.assertEveryGatehousePropertyBinds(chart.args());
    CaProperties.OverlapRoots previous = ChartArguments.bind(chart.args(), "gatehouse.ca", CaProperties.class).overlapRoots();
    assertThat(java.time.Instant.parse(previous.until())).isEqualTo(java.time.Instant.parse("2026-12-20T00:00:00Z"));
    assertMounted(chart, "overlap-roots", previous.file().resolve("roots.pem"));
    assertThat(RenderedChart.at(volume(chart, "overlap-roots"), "configMap.name")).isEqualTo("gatehouse-overlap-roots");

    RenderedChart fromSecret = RenderedChart.render(Map.of("ca.mode", "spire",
        "ca.overlapRoots.secretName", "old-vault-roots", "ca.overlapRoots.until", "2026-12-20T01:00:00+01:00"));
    CaProperties.OverlapRoots secret = ChartArguments.bind(fromSecret.args(), "gatehouse.ca", CaProperties.class)
        .overlapRoots();
    assertThat(java.time.Instant.parse(secret.until())).isEqualTo(java.time.Instant.parse("2026-12-20T00:00:00Z"));
    assertThat(RenderedChart.at(volume(fromSecret, "overlap-roots"), "secret.secretName")).isEqualTo("old-vault-roots");

    RenderedChart none = RenderedChart.render(Map.of());
    assertThat(none.args()).noneMatch(a -> a.startsWith("--gatehouse.ca.overlap-roots"));
    assertThat(volumeNames(none)).doesNotContain("overlap-roots");

    assertThatThrownBy(() -> RenderedChart.render(Map.of("ca.overlapRoots.configMapName", "old")))
        .hasMessageContaining("ca.overlapRoots needs ca.overlapRoots.until");
    assertThatThrownBy(() -> RenderedChart.render(Map.of("ca.overlapRoots.until", "2026-12-20T00:00:00Z")))
        .hasMessageContaining("neither ca.overlapRoots.configMapName nor ca.overlapRoots.secretName");
    assertThatThrownBy(() -> RenderedChart.render(Map.of("ca.overlapRoots.configMapName", "a",
        "ca.overlapRoots.secretName", "b", "ca.overlapRoots.until", "2026-12-20T00:00:00Z")))
        .hasMessageContaining("not both");
  }

  @Test
  void upstreamCaMistakesFailTheRenderNamingTheValue() {
    assertThatThrownBy(() -> RenderedChart.render(Map.of("ca.mode", "vault")))
        .hasMessageContaining("ca.mode=vault needs ca.vault.address");
    assertThatThrownBy(() -> RenderedChart.render(Map.of("ca.mode", "vault", "ca.vault.address", "https://vault:8200",
        "ca.vault.auth.method", "approle", "ca.vault.auth.approle.roleId", "r")))
        .hasMessageContaining("ca.vault.auth.approle.secretIdSecret.name");
    assertThatThrownBy(() -> RenderedChart.render(Map.of("ca.mode", "vault", "ca.vault.address", "https://vault:8200",
        "ca.vault.auth.method", "token")))
        .hasMessageContaining("ca.vault.auth.token.secretName");
    assertThatThrownBy(() -> RenderedChart.render(Map.of("ca.mode", "vault", "ca.vault.address", "https://vault:8200",
        "ca.vault.caBundle.secretName", "a", "ca.vault.caBundle.configMapName", "b")))
        .hasMessageContaining("not both");
    assertThatThrownBy(() -> RenderedChart.render(Map.of("ca.mode", "spire", "ca.spire.trustDomain", "corp.example")))
        .hasMessageContaining("ca.spire.trustDomain (corp.example) is not the mesh's trust domain mesh.trustDomain (cluster.local)");
    assertThatThrownBy(() -> RenderedChart.render(Map.of("ca.mode", "spire", "ca.spire.issuance", "intermediate",
        "ca.spire.downstreamSvid.secretName", "s")))
        .hasMessageContaining("ca.spire.serverAddress");
    assertThatThrownBy(() -> RenderedChart.render(Map.of("ca.mode", "spire", "ca.spire.issuance", "intermediate",
        "ca.spire.serverAddress", "spire:8081")))
        .hasMessageContaining("ca.spire.downstreamSvid");
  }

  private static List<String> volumeNames(RenderedChart chart) {
    return RenderedChart.list(RenderedChart.map(chart.only("Deployment"), "spec.template.spec"), "volumes").stream()
        .map(v -> (String) v.get("name")).toList();
  }

  private static Map<String, Object> volume(RenderedChart chart, String name) {
    return RenderedChart.list(RenderedChart.map(chart.only("Deployment"), "spec.template.spec"), "volumes").stream()
        .filter(v -> name.equals(v.get("name"))).findFirst()
        .orElseThrow(() -> new AssertionError("no volume " + name + " in " + volumeNames(chart)));
  }

  /** The volume {@code name} is mounted read-only on a directory containing {@code file}. */
  private static void assertMounted(RenderedChart chart, String name, Path file) {
    volume(chart, name);
    assertThat(file).as("file served by volume %s", name).isNotNull();
    assertThat(RenderedChart.list(chart.container(), "volumeMounts")).filteredOn(m -> name.equals(m.get("name")))
        .singleElement().satisfies(m -> {
          assertThat(file.startsWith(Path.of((String) m.get("mountPath")))).as("%s under %s", file, m).isTrue();
          assertThat(m.get("readOnly")).isEqualTo(true);
        });
  }
}
