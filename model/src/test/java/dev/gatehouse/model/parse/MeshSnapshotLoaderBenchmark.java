package dev.gatehouse.model.parse;

import dev.gatehouse.model.MeshConfig;
import dev.gatehouse.model.MeshSnapshot;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * How long reading a large mesh takes: YAML to parse results, then results to an indexed snapshot. Prints numbers,
 * never fails on timing. Run with:
 * {@code ./mvnw -B -o -q -pl model test -Dtest=MeshSnapshotLoaderBenchmark} and read
 * {@code model/target/surefire-reports/dev.gatehouse.model.parse.MeshSnapshotLoaderBenchmark-output.txt}.
 */
class MeshSnapshotLoaderBenchmark {
  private static final int NAMESPACES = 50;
  private static final int SERVICES_PER_NAMESPACE = 20;
  private static final int PODS_PER_SERVICE = 2;

  @Test
  void readALargeMesh() {
    String yaml = mesh();
    MeshSnapshotLoader loader = new MeshSnapshotLoader(MeshConfig.defaults());
    List<ParseResult> results = List.of();
    for (int i = 0; i < 3; i++) {
      results = loader.parseYaml(yaml, "bench.yaml");
      loader.assemble(results, i);
    }
    int runs = 5;
    long parseNanos = 0;
    long assembleNanos = 0;
    MeshSnapshot snapshot = null;
    for (int i = 0; i < runs; i++) {
      long t0 = System.nanoTime();
      results = loader.parseYaml(yaml, "bench.yaml");
      long t1 = System.nanoTime();
      snapshot = loader.assemble(results, i).snapshot();
      long t2 = System.nanoTime();
      parseNanos += t1 - t0;
      assembleNanos += t2 - t1;
    }
    List<Object> documents = new java.util.ArrayList<>();
    long y0 = System.nanoTime();
    for (Object d : new org.yaml.snakeyaml.Yaml(new org.yaml.snakeyaml.constructor.SafeConstructor(
        new org.yaml.snakeyaml.LoaderOptions())).loadAll(yaml)) {
      documents.add(d);
    }
    long y1 = System.nanoTime();
    KubernetesObjectParser parser = new KubernetesObjectParser(MeshConfig.defaults());
    for (Object d : documents) {
      parser.parseAll(d, "bench.yaml");
    }
    long y2 = System.nanoTime();
    long t3 = System.nanoTime();
    int matched = 0;
    for (int n = 0; n < NAMESPACES; n++) {
      for (int s = 0; s < SERVICES_PER_NAMESPACE; s++) {
        matched += snapshot.workloadsMatching("ns-" + n, Map.of("app", "svc-" + s)).size();
      }
    }
    long t4 = System.nanoTime();
    double parseMs = parseNanos / 1e6 / runs;
    double assembleMs = assembleNanos / 1e6 / runs;
    System.out.printf("objects=%d yamlBytes=%d%n", results.size(), yaml.length());
    System.out.printf("parse (YAML + KubernetesObjectParser): %.1f ms/run, %.0f objects/s%n",
        parseMs, results.size() / (parseMs / 1000));
    System.out.printf("  of which plain SnakeYAML loading: %.1f ms, KubernetesObjectParser alone: %.1f ms%n",
        (y1 - y0) / 1e6, (y2 - y1) / 1e6);
    System.out.printf("assemble (MeshSnapshot with indexes): %.1f ms/run%n", assembleMs);
    System.out.printf("first selector lookups: %d lookups, %d workloads, %.2f ms%n",
        NAMESPACES * SERVICES_PER_NAMESPACE, matched, (t4 - t3) / 1e6);
    System.out.println("counts " + snapshot.counts());
  }

  private static String mesh() {
    StringBuilder y = new StringBuilder();
    int ip = 0;
    for (int n = 0; n < NAMESPACES; n++) {
      String ns = "ns-" + n;
      doc(y, "apiVersion: v1\nkind: Namespace\nmetadata: {name: " + ns + "}\n");
      doc(y, """
          apiVersion: security.istio.io/v1
          kind: PeerAuthentication
          metadata: {name: default, namespace: %s}
          spec: {mtls: {mode: STRICT}}
          """.formatted(ns));
      for (int s = 0; s < SERVICES_PER_NAMESPACE; s++) {
        String app = "svc-" + s;
        doc(y, """
            apiVersion: v1
            kind: Service
            metadata: {name: %s, namespace: %s}
            spec: {selector: {app: %s}, ports: [{name: http, port: 80, targetPort: 8080}]}
            """.formatted(app, ns, app));
        StringBuilder endpoints = new StringBuilder();
        for (int p = 0; p < PODS_PER_SERVICE; p++) {
          ip++;
          String addr = "127." + (ip / 65536 % 256) + "." + (ip / 256 % 256) + "." + (ip % 256);
          doc(y, """
              apiVersion: v1
              kind: Pod
              metadata: {name: %s-%d, namespace: %s, labels: {app: %s, security.istio.io/tlsMode: istio}}
              spec:
                serviceAccountName: %s
                containers: [{name: app, ports: [{containerPort: 8080, name: http}]}, {name: istio-proxy}]
              status: {podIP: %s, phase: Running}
              """.formatted(app, p, ns, app, app, addr));
          endpoints.append("  - addresses: [").append(addr).append("]\n    conditions: {ready: true}\n");
        }
        doc(y, """
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: %s-x, namespace: %s, labels: {kubernetes.io/service-name: %s}}
            ports: [{name: http, port: 8080}]
            endpoints:
            %s""".formatted(app, ns, app, endpoints));
        doc(y, """
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: %s, namespace: %s, creationTimestamp: "2024-01-01T00:00:00Z"}
            spec:
              selector: {matchLabels: {app: %s}}
              rules:
              - from: [{source: {principals: ["cluster.local/ns/%s/sa/client"]}}]
                to: [{operation: {methods: [GET], paths: ["/api/*"], ports: ["8080"]}}]
                when: [{key: "request.headers[x-tenant]", values: [acme]}]
            """.formatted(app, ns, app, ns));
      }
    }
    return y.toString();
  }

  private static void doc(StringBuilder y, String body) {
    y.append("---\n").append(body);
  }
}
