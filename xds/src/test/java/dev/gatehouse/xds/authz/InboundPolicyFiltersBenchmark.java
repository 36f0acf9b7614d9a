package dev.gatehouse.xds.authz;

import dev.gatehouse.api.istio.security.v1beta1.AuthorizationPolicy;
import dev.gatehouse.api.istio.security.v1beta1.Condition;
import dev.gatehouse.api.istio.security.v1beta1.Operation;
import dev.gatehouse.api.istio.security.v1beta1.Rule;
import dev.gatehouse.api.istio.security.v1beta1.Source;
import dev.gatehouse.api.istio.type.v1beta1.WorkloadSelector;
import dev.gatehouse.model.ContainerPort;
import dev.gatehouse.model.MeshConfig;
import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.model.Policy;
import dev.gatehouse.model.PolicyKind;
import dev.gatehouse.model.ResourceMeta;
import dev.gatehouse.model.Workload;
import dev.gatehouse.xds.ProxyKind;
import java.time.Instant;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Times AuthorizationPolicy translation for a mesh of 2,000 workloads in 100 namespaces with 10,000 policies
 * (100 per namespace: half namespace-wide, half selecting one of 10 apps), and the rebuild after one policy
 * changes. Prints numbers; never fails on them. Run:
 *
 * <pre>
 * ./mvnw -B -q install -DskipTests -pl api,model,xds
 * ./mvnw -B -q dependency:build-classpath -pl xds -Dmdep.includeScope=test -Dmdep.outputFile=/tmp/xds-cp.txt
 * java -cp "xds/target/test-classes:xds/target/classes:$(cat /tmp/xds-cp.txt)" \
 *   dev.gatehouse.xds.authz.InboundPolicyFiltersBenchmark
 * </pre>
 */
public final class InboundPolicyFiltersBenchmark {
  private static final int NAMESPACES = 100;
  private static final int WORKLOADS_PER_NAMESPACE = 20;
  private static final int POLICIES_PER_NAMESPACE = 100;

  public static void main(String[] args) {
    MeshSnapshot mesh = mesh(1, -1);
    for (int round = 1; round <= 5; round++) {
      long t0 = System.nanoTime();
      InboundPolicyFilters filters = InboundPolicyFilters.build(mesh, AuthzOptions.defaults());
      long t1 = System.nanoTime();
      Map<Object, Boolean> distinct = new IdentityHashMap<>();
      for (Workload w : mesh.workloads().values()) {
        distinct.put(filters.httpFilters(w, ProxyKind.SIDECAR, 8080), true);
        distinct.put(filters.networkFilters(w, ProxyKind.SIDECAR, 8080), true);
      }
      long t2 = System.nanoTime();
      // As a config source does it: the next snapshot keeps every unchanged object instance.
      Policy<AuthorizationPolicy> edited = mesh(2, 42).authorizationPolicies().stream()
          .filter(p -> p.namespace().equals("ns-42") && p.name().equals("p-0")).findFirst().orElseThrow();
      MeshSnapshot changed = mesh.toBuilder(2).authorizationPolicy(edited).build();
      long t3 = System.nanoTime();
      InboundPolicyFilters next = InboundPolicyFilters.build(changed, AuthzOptions.defaults(), filters);
      long t35 = System.nanoTime();
      long bestRebuild = Long.MAX_VALUE;
      for (int i = 0; i < 10; i++) {
        long a = System.nanoTime();
        InboundPolicyFilters.build(changed, AuthzOptions.defaults(), filters);
        bestRebuild = Math.min(bestRebuild, System.nanoTime() - a);
      }
      long t36 = System.nanoTime();
      for (Workload w : changed.workloadsInNamespace("ns-42")) {
        next.httpFilters(w, ProxyKind.SIDECAR, 8080);
        next.networkFilters(w, ProxyKind.SIDECAR, 8080);
      }
      long t4 = System.nanoTime();
      System.out.printf(
          "round %d: translate %d policies %.1f ms; filters for %d workloads %.1f ms (%d distinct lists);"
              + " one policy changed: rebuild %.1f ms (best of 10 more: %.1f ms) + its namespace's %d workloads %.1f ms%n",
          round, mesh.authorizationPolicies().size(), (t1 - t0) / 1e6, mesh.workloads().size(), (t2 - t1) / 1e6,
          distinct.size(), (t35 - t3) / 1e6, bestRebuild / 1e6, WORKLOADS_PER_NAMESPACE, (t4 - t36) / 1e6);
    }
  }

  /** The benchmark mesh; {@code changedNamespace >= 0} alters one policy there (a new path). */
  static MeshSnapshot mesh(long version, int changedNamespace) {
    MeshSnapshot.Builder b = MeshSnapshot.builder(version, MeshConfig.defaults());
    for (int n = 0; n < NAMESPACES; n++) {
      String ns = "ns-" + n;
      for (int i = 0; i < WORKLOADS_PER_NAMESPACE; i++) {
        ResourceMeta meta = new ResourceMeta("v1", "Pod", ns, "pod-" + i, Instant.EPOCH, "1",
            Map.of("app", "app-" + (i % 10)), Map.of(), "bench");
        b.workload(new Workload(meta, "sa-" + (i % 10), "127.1." + n + "." + i,
            List.of(new ContainerPort("http", 8080, "TCP")), true, false));
      }
      for (int p = 0; p < POLICIES_PER_NAMESPACE; p++) {
        AuthorizationPolicy.Builder spec = AuthorizationPolicy.newBuilder()
            .setAction(p % 4 == 0 ? AuthorizationPolicy.Action.DENY : AuthorizationPolicy.Action.ALLOW)
            .addRules(Rule.newBuilder()
                .addFrom(Rule.From.newBuilder().setSource(Source.newBuilder()
                    .addPrincipals("cluster.local/ns/ns-" + ((n + p) % NAMESPACES) + "/sa/sa-" + (p % 10))
                    .addNamespaces("ns-" + ((n + 1) % NAMESPACES))))
                .addTo(Rule.To.newBuilder().setOperation(Operation.newBuilder()
                    .addMethods("GET").addPaths("/api/v" + p + "/*")
                    .addPaths(n == changedNamespace && p == 0 ? "/changed" : "/health")))
                .addWhen(Condition.newBuilder().setKey("request.headers[x-tenant]").addValues("t" + p)));
        if (p % 2 == 1) {
          spec.setSelector(WorkloadSelector.newBuilder().putMatchLabels("app", "app-" + (p % 10)));
        }
        b.authorizationPolicy(new Policy<>(PolicyKind.AUTHORIZATION_POLICY,
            new ResourceMeta("security.istio.io/v1", "AuthorizationPolicy", ns, "p-" + p, Instant.EPOCH,
                n == changedNamespace && p == 0 ? "2" : "1", Map.of(), Map.of(), "bench"),
            spec.build()));
      }
    }
    return b.build();
  }
}
