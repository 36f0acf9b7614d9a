package dev.gatehouse.model.parse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.model.ContainerPort;
import dev.gatehouse.model.EndpointSliceInfo;
import dev.gatehouse.model.MeshConfig;
import dev.gatehouse.model.MtlsMode;
import dev.gatehouse.model.NamespaceInfo;
import dev.gatehouse.model.ObjectKey;
import dev.gatehouse.model.ServiceAccountInfo;
import dev.gatehouse.model.ServiceInfo;
import dev.gatehouse.model.ServicePort;
import dev.gatehouse.model.Workload;
import dev.gatehouse.model.WorkloadProbe;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class CoreObjectParsingTest {
  private static List<ParseResult> fixture;

  @BeforeAll
  static void load() {
    fixture = Fixtures.resource("core-objects.yaml");
  }

  private static Object find(String kind) {
    return fixture.stream()
        .filter(r -> r instanceof ParseResult.Parsed p && p.kind().equals(kind))
        .map(r -> ((ParseResult.Parsed) r).value())
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind + " in " + fixture));
  }

  @Test
  void namespaceIsClusterScopedWithLabels() {
    NamespaceInfo ns = (NamespaceInfo) find("Namespace");
    assertThat(ns.name()).isEqualTo("shop");
    assertThat(ns.meta().namespace()).isEmpty();
    assertThat(ns.meta().key()).isEqualTo(ObjectKey.of("", "shop"));
    assertThat(ns.labels()).isEqualTo(Map.of("istio-injection", "enabled"));
    // Unquoted in the fixture: the loader keeps timestamps as text, as the API server returns them.
    assertThat(ns.meta().creationTimestamp()).isEqualTo(Instant.parse("2024-01-02T03:04:05Z"));
  }

  @Test
  void serviceAccountIsRead() {
    ServiceAccountInfo sa = (ServiceAccountInfo) find("ServiceAccount");
    assertThat(sa.namespace()).isEqualTo("shop");
    assertThat(sa.name()).isEqualTo("cart");
  }

  @Test
  void podBecomesAWorkloadWithEveryField() {
    Workload w = (Workload) find("Pod");
    assertThat(w.key()).isEqualTo(ObjectKey.of("shop", "cart-7d9f8-abcde"));
    assertThat(w.labels()).containsEntry("app", "cart").containsEntry("version", "v1");
    assertThat(w.meta().resourceVersion()).isEqualTo("123");
    assertThat(w.meta().creationTimestamp()).isEqualTo(Instant.parse("2024-01-02T02:04:05Z"));
    assertThat(w.serviceAccount()).isEqualTo("cart");
    assertThat(w.ip()).isEqualTo("127.0.0.11");
    assertThat(w.ports())
        .containsExactly(
            new ContainerPort("http", 8080, "TCP"),
            new ContainerPort("grpc", 9090, "TCP"),
            new ContainerPort("metrics-udp", 9125, "UDP"),
            new ContainerPort("http-envoy-prom", 15090, "TCP"));
    assertThat(w.hasSidecar()).isTrue();
    assertThat(w.proxylessGrpc()).isFalse();
    assertThat(w.inMesh()).isTrue();
  }

  @Test
  void probesNameTheirPortsAndNamedPortsResolveAgainstTheContainers() {
    MeshSnapshotLoader.Loaded loaded = MeshSnapshotLoader.load("""
        apiVersion: v1
        kind: Pod
        metadata: {name: web-0, namespace: shop}
        spec:
          containers:
          - name: web
            ports: [{name: http, containerPort: 8080}, {name: admin, containerPort: 9901}]
            livenessProbe: {httpGet: {path: /healthz, port: http}}
            readinessProbe: {tcpSocket: {port: 8080}}
            startupProbe: {exec: {command: [true]}}
          - name: grpc
            readinessProbe: {grpc: {port: "7070"}}
            livenessProbe: {httpGet: {port: nope}}
          - name: odd
            livenessProbe: {httpGet: {port: [1]}}
          initContainers:
          - name: setup
            readinessProbe: {tcpSocket: {port: 1234}}
        status: {podIP: 127.0.0.40}
        """, MeshConfig.defaults());
    Workload w = loaded.snapshot().workload(ObjectKey.of("shop", "web-0")).orElseThrow();
    assertThat(loaded.problems()).isEmpty();
    // exec probes connect to nothing; an init container that is not a native sidecar never serves; an odd probe is
    // skipped without losing the pod.
    assertThat(w.probes()).containsExactly(
        new WorkloadProbe("web", "liveness", "httpGet", 8080, "http"),
        new WorkloadProbe("web", "readiness", "tcpSocket", 8080, ""),
        new WorkloadProbe("grpc", "liveness", "httpGet", 0, "nope"),
        new WorkloadProbe("grpc", "readiness", "grpc", 7070, ""));
  }

  @Test
  void serviceHasFqdnPortsSelectorAndClusterIp() {
    ServiceInfo s = (ServiceInfo) find("Service");
    assertThat(s.fqdn()).isEqualTo("cart.shop.svc.cluster.local");
    assertThat(s.selector()).isEqualTo(Map.of("app", "cart"));
    assertThat(s.clusterIp()).isEqualTo("127.0.1.1");
    assertThat(s.headless()).isFalse();
    assertThat(s.ports())
        .containsExactly(
            new ServicePort("http", 80, "TCP", "", 8080, ""),
            new ServicePort("grpc-api", 9090, "TCP", "grpc", 0, "grpc"),
            new ServicePort("tcp-raw", 7000, "TCP", "", 7000, ""),
            new ServicePort("udp-stats", 9125, "UDP", "", 9125, ""));
  }

  @Test
  void serviceFqdnUsesTheMeshClusterDomain() {
    MeshConfig mesh = new MeshConfig("example.org", List.of(), "istio-system", MtlsMode.STRICT, "corp.example");
    ParseResult r = new KubernetesObjectParser(mesh).parse(Fixtures.object("""
        apiVersion: v1
        kind: Service
        metadata: {name: db, namespace: data}
        spec:
          clusterIP: None
          ports: [{port: 5432}]
        """), "k8s");
    ServiceInfo s = (ServiceInfo) ((ParseResult.Parsed) r).value();
    assertThat(s.fqdn()).isEqualTo("db.data.svc.corp.example");
    assertThat(s.headless()).isTrue();
    assertThat(s.selector()).isEmpty();
    assertThat(s.ports()).containsExactly(new ServicePort("", 5432, "TCP", "", 5432, ""));
  }

  @Test
  void endpointSliceKeepsPortsAndEveryEndpointCondition() {
    EndpointSliceInfo slice = (EndpointSliceInfo) find("EndpointSlice");
    assertThat(slice.serviceName()).isEqualTo("cart");
    assertThat(slice.serviceKey()).isEqualTo(ObjectKey.of("shop", "cart"));
    assertThat(slice.ports())
        .containsExactly(
            new EndpointSliceInfo.Port("http", 8080, "TCP", ""),
            new EndpointSliceInfo.Port("grpc-api", 9090, "TCP", "grpc"));
    assertThat(slice.endpoints())
        .containsExactly(
            new EndpointSliceInfo.Endpoint(List.of("127.0.0.11"), true, "cart-7d9f8-abcde", "node-a", "zone-1", 1),
            new EndpointSliceInfo.Endpoint(List.of("127.0.0.12"), false, "cart-7d9f8-fghij", "", "", 1),
            // conditions absent: the API says "nil should be interpreted as ready".
            new EndpointSliceInfo.Endpoint(List.of("127.0.0.13"), true, "", "", "", 1),
            // a targetRef that is not a Pod names no pod.
            new EndpointSliceInfo.Endpoint(List.of("127.0.0.14"), true, "", "", "", 1));
  }

  @Test
  void v1beta1EndpointSliceTakesTheZoneFromTopology() {
    EndpointSliceInfo slice = (EndpointSliceInfo) Fixtures.value("""
        apiVersion: discovery.k8s.io/v1beta1
        kind: EndpointSlice
        metadata: {name: old, namespace: shop, labels: {kubernetes.io/service-name: cart}}
        endpoints:
        - addresses: [127.0.0.20]
          topology: {topology.kubernetes.io/zone: zone-9}
        """);
    assertThat(slice.endpoints()).singleElement().extracting(EndpointSliceInfo.Endpoint::zone).isEqualTo("zone-9");
  }

  @Test
  void istioProxyContainerAloneMeansSidecar() {
    Workload w = (Workload) Fixtures.value("""
        apiVersion: v1
        kind: Pod
        metadata: {name: p, namespace: a}
        spec:
          containers: [{name: app}, {name: istio-proxy}]
        status: {podIP: 127.0.0.2}
        """);
    assertThat(w.hasSidecar()).isTrue();
  }

  @Test
  void nativeSidecarInitContainerMeansSidecarAndItsPortsServe() {
    Workload w = (Workload) Fixtures.value("""
        apiVersion: v1
        kind: Pod
        metadata: {name: p, namespace: a}
        spec:
          initContainers:
          - name: istio-init
            ports: [{containerPort: 1111}]
          - name: istio-proxy
            restartPolicy: Always
            ports: [{containerPort: 15090, name: http-envoy-prom}]
          containers: [{name: app, ports: [{containerPort: 8080}]}]
        """);
    assertThat(w.hasSidecar()).isTrue();
    assertThat(w.ports()).extracting(ContainerPort::port).containsExactly(8080, 15090);
  }

  @Test
  void tlsModeLabelAloneMeansSidecar() {
    Workload w = (Workload) Fixtures.value("""
        apiVersion: v1
        kind: Pod
        metadata: {name: p, namespace: a, labels: {security.istio.io/tlsMode: istio}}
        spec: {containers: [{name: app}]}
        """);
    assertThat(w.hasSidecar()).isTrue();
  }

  @Test
  void aPlainPodHasNoSidecarAndDefaults() {
    Workload w = (Workload) Fixtures.value("""
        apiVersion: v1
        kind: Pod
        metadata: {name: p, labels: {security.istio.io/tlsMode: disabled}}
        spec: {containers: [{name: app}]}
        """);
    assertThat(w.hasSidecar()).isFalse();
    assertThat(w.inMesh()).isFalse();
    assertThat(w.namespace()).isEqualTo("default");
    assertThat(w.serviceAccount()).isEqualTo("default");
    assertThat(w.ip()).isEmpty();
    assertThat(w.ports()).isEmpty();
  }

  @Test
  void deprecatedServiceAccountFieldAndPodIpsAreFallbacks() {
    Workload w = (Workload) Fixtures.value("""
        apiVersion: v1
        kind: Pod
        metadata: {name: p, namespace: a}
        spec: {serviceAccount: legacy, containers: [{name: app}]}
        status: {podIPs: [{ip: 127.0.0.30}]}
        """);
    assertThat(w.serviceAccount()).isEqualTo("legacy");
    assertThat(w.ip()).isEqualTo("127.0.0.30");
  }

  @Test
  void grpcInjectionTemplatesMeanProxylessGrpc() {
    for (String templates : List.of("grpc-agent", "grpc-simple", "sidecar, grpc-agent")) {
      Workload w = (Workload) Fixtures.value("""
          apiVersion: v1
          kind: Pod
          metadata: {name: p, namespace: a, annotations: {inject.istio.io/templates: "%s"}}
          spec: {containers: [{name: app}]}
          """.formatted(templates));
      assertThat(w.proxylessGrpc()).as(templates).isTrue();
      assertThat(w.inMesh()).isTrue();
    }
    Workload sidecarTemplate = (Workload) Fixtures.value("""
        apiVersion: v1
        kind: Pod
        metadata: {name: p, namespace: a, annotations: {inject.istio.io/templates: "sidecar"}}
        spec: {containers: [{name: app}]}
        """);
    assertThat(sidecarTemplate.proxylessGrpc()).isFalse();
  }

  @Test
  void grpcAgentPodWithTlsModeLabelAndAgentContainerIsProxylessNotSidecar() {
    // What Istio's grpc-agent injection leaves: the tlsMode label and an istio-proxy container running only the agent.
    Workload w = (Workload) Fixtures.value("""
        apiVersion: v1
        kind: Pod
        metadata:
          name: p
          namespace: a
          labels: {security.istio.io/tlsMode: istio}
          annotations: {inject.istio.io/templates: grpc-agent}
        spec: {containers: [{name: app}, {name: istio-proxy}]}
        """);
    assertThat(w.proxylessGrpc()).isTrue();
    assertThat(w.hasSidecar()).isFalse();
    assertThat(w.inMesh()).isTrue();
  }

  @Test
  void gatehouseProxylessAnnotationMustBeTrue() {
    Workload on = (Workload) Fixtures.value("""
        apiVersion: v1
        kind: Pod
        metadata: {name: p, namespace: a, annotations: {proxyless.gatehouse.dev/grpc: "true"}}
        spec: {containers: [{name: app}]}
        """);
    Workload off = (Workload) Fixtures.value("""
        apiVersion: v1
        kind: Pod
        metadata: {name: p, namespace: a, annotations: {proxyless.gatehouse.dev/grpc: "false"}}
        spec: {containers: [{name: app}]}
        """);
    assertThat(on.proxylessGrpc()).isTrue();
    assertThat(off.proxylessGrpc()).isFalse();
  }

  @Test
  void finishedPodsAreIgnored() {
    for (String phase : List.of("Succeeded", "Failed")) {
      ParseResult r = Fixtures.parse("""
          apiVersion: v1
          kind: Pod
          metadata: {name: job-1, namespace: batch}
          spec: {containers: [{name: app}]}
          status: {phase: %s, podIP: 127.0.0.40}
          """.formatted(phase));
      assertThat(r).isInstanceOf(ParseResult.Ignored.class);
      assertThat(((ParseResult.Ignored) r).reason()).contains(phase);
    }
    assertThat(Fixtures.parse("""
        apiVersion: v1
        kind: Pod
        metadata: {name: job-2, namespace: batch}
        status: {phase: Pending}
        """)).isInstanceOf(ParseResult.Parsed.class);
  }

  @Test
  void malformedCoreFieldsFailWithTheirPath() {
    ParseResult.Failed badPort = Fixtures.failed("""
        apiVersion: v1
        kind: Pod
        metadata: {name: p, namespace: a}
        spec:
          containers: [{name: app, ports: [{containerPort: http}]}]
        """);
    assertThat(badPort.source()).isEqualTo("test.yaml");
    assertThat(badPort.reason())
        .isEqualTo("Pod a/p: spec.containers[0].ports[0].containerPort: expected an integer, got \"http\"");

    ParseResult.Failed outOfRange = Fixtures.failed("""
        apiVersion: v1
        kind: Service
        metadata: {name: s, namespace: a}
        spec:
          ports: [{port: 70000}]
        """);
    assertThat(outOfRange.reason()).contains("spec.ports[0].port: expected a port in 1..65535, got 70000");

    ParseResult.Failed labels = Fixtures.failed("""
        apiVersion: v1
        kind: Pod
        metadata: {name: p, namespace: a, labels: {app: [x]}}
        """);
    assertThat(labels.reason()).contains("metadata.labels.app: expected a string, got a list");
  }

  @Test
  void aMisspeltMetadataFieldFailsThePod() {
    // Read leniently, "lables" would hide the pod from every policy that selects it by label.
    ParseResult.Failed f = Fixtures.failed("""
        apiVersion: v1
        kind: Pod
        metadata: {name: p, namespace: a, lables: {app: cart}}
        """);
    assertThat(f.reason()).isEqualTo("Pod a/p: metadata: unknown field \"lables\"");
  }

  @Test
  void unquotedNumericLabelValuesAreReadAsText() {
    Workload w = (Workload) Fixtures.value("""
        apiVersion: v1
        kind: Pod
        metadata: {name: p, namespace: a, labels: {version: 2, canary: true}}
        """);
    assertThat(w.labels()).isEqualTo(Map.of("version", "2", "canary", "true"));
  }
}
