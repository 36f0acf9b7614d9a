package dev.gatehouse.xds.authz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.model.MeshConfig;
import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.model.ObjectKey;
import dev.gatehouse.model.Workload;
import dev.gatehouse.model.parse.MeshSnapshotLoader;
import dev.gatehouse.xds.ProxyKind;
import dev.gatehouse.xds.dataplane.EnvoyFilterChainEvaluator;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.util.List;

/** A small mesh read from YAML (through the model's own loader) plus the filters built for it. */
final class PolicyFixture {
  static final String PODS =
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: app, namespace: foo, labels: {app: app}}
      spec: {serviceAccountName: app, containers: [{name: app, ports: [{containerPort: 8080}]}, {name: istio-proxy}]}
      status: {podIP: 127.0.0.10}
      ---
      apiVersion: v1
      kind: Pod
      metadata: {name: other, namespace: foo, labels: {app: other}}
      spec: {serviceAccountName: other, containers: [{name: other, ports: [{containerPort: 8080}]}, {name: istio-proxy}]}
      status: {podIP: 127.0.0.11}
      ---
      apiVersion: v1
      kind: Pod
      metadata: {name: app, namespace: bar, labels: {app: app}}
      spec: {serviceAccountName: app, containers: [{name: app, ports: [{containerPort: 8080}]}, {name: istio-proxy}]}
      status: {podIP: 127.0.0.12}
      ---
      apiVersion: v1
      kind: Pod
      metadata:
        name: grpc
        namespace: foo
        labels: {app: grpc}
        annotations: {inject.istio.io/templates: grpc-agent}
      spec: {serviceAccountName: grpc, containers: [{name: grpc, ports: [{containerPort: 8080}]}]}
      status: {podIP: 127.0.0.13}
      """;

  final MeshSnapshot snapshot;
  final InboundPolicyFilters filters;

  private PolicyFixture(MeshSnapshot snapshot, InboundPolicyFilters filters) {
    this.snapshot = snapshot;
    this.filters = filters;
  }

  static PolicyFixture of(String policiesYaml) {
    return of(policiesYaml, MeshConfig.defaults(), AuthzOptions.defaults());
  }

  static PolicyFixture of(String policiesYaml, AuthzOptions options) {
    return of(policiesYaml, MeshConfig.defaults(), options);
  }

  static PolicyFixture of(String policiesYaml, MeshConfig mesh, AuthzOptions options) {
    String yaml = PODS + (policiesYaml.isBlank() ? "" : "---\n" + policiesYaml);
    MeshSnapshotLoader.Loaded loaded = MeshSnapshotLoader.load(yaml, mesh);
    assertThat(loaded.problems()).as("fixture YAML problems").isEmpty();
    return new PolicyFixture(loaded.snapshot(), InboundPolicyFilters.build(loaded.snapshot(), options));
  }

  Workload workload(String namespaceSlashName) {
    String[] p = namespaceSlashName.split("/");
    return snapshot.workload(ObjectKey.of(p[0], p[1])).orElseThrow();
  }

  List<HttpFilter> http(String workload) {
    Workload w = workload(workload);
    return filters.httpFilters(w, w.proxylessGrpc() ? ProxyKind.PROXYLESS_GRPC : ProxyKind.SIDECAR, 8080);
  }

  List<Filter> tcp(String workload) {
    return filters.networkFilters(workload(workload), ProxyKind.SIDECAR, 8080);
  }

  EnvoyFilterChainEvaluator.Decision decideHttp(String workload, EnvoyFilterChainEvaluator.Request r) {
    return EnvoyFilterChainEvaluator.evaluateHttp(http(workload), r);
  }

  EnvoyFilterChainEvaluator.Decision decideTcp(String workload, EnvoyFilterChainEvaluator.Request r) {
    return EnvoyFilterChainEvaluator.evaluateTcp(tcp(workload), r);
  }
}
