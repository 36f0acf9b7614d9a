package dev.gatehouse.posture.report;

import dev.gatehouse.api.istio.security.v1beta1.AuthorizationPolicy;
import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.model.Policy;
import dev.gatehouse.model.Workload;
import dev.gatehouse.posture.AuthorizationFacts;
import dev.gatehouse.posture.CaFacts;
import dev.gatehouse.posture.Durations;
import dev.gatehouse.posture.MeshPosture;
import dev.gatehouse.posture.analyze.Analysis;
import dev.gatehouse.posture.report.PostureReport.Ca;
import dev.gatehouse.posture.report.PostureReport.Certificate;
import dev.gatehouse.posture.report.PostureReport.DefaultDeny;
import dev.gatehouse.posture.report.PostureReport.Findings;
import dev.gatehouse.posture.report.PostureReport.Mesh;
import dev.gatehouse.posture.report.PostureReport.NamespaceRow;
import dev.gatehouse.posture.report.PostureReport.Policies;
import dev.gatehouse.posture.report.PostureReport.Ports;
import dev.gatehouse.posture.report.PostureReport.Workloads;
import dev.gatehouse.xds.EffectiveMtls;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Builds a {@link PostureReport}: port and workload figures from what each proxy's listener accepts
 * ({@link MeshPosture#access}), default deny by the same rule {@code analyze} uses, findings from the {@link Analysis}.
 * Pure.
 */
public final class PostureReports {
  private PostureReports() {}

  public static PostureReport of(MeshPosture mesh, Analysis analysis) {
    MeshSnapshot s = mesh.snapshot();
    String root = s.mesh().rootNamespace();
    EffectiveMtls rootMode = mesh.peerAuthentication().resolve(rootWorkload(mesh));

    int total = 0;
    int sidecar = 0;
    int proxyless = 0;
    int strictWorkloads = 0;
    int portsTotal = 0;
    int portsStrict = 0;
    int portsPlaintext = 0;
    Map<String, int[]> perNs = new TreeMap<>(); // workloads, inMesh, ports, strictPorts
    for (Workload w : new TreeMap<>(s.workloads()).values()) {
      total++;
      if (w.hasSidecar()) {
        sidecar++;
      } else if (w.proxylessGrpc()) {
        proxyless++;
      }
      int[] row = perNs.computeIfAbsent(w.namespace(), k -> new int[4]);
      row[0]++;
      row[1] += w.inMesh() ? 1 : 0;
      List<Integer> ports = mesh.ports(w);
      int strict = 0;
      for (int port : ports) {
        MeshPosture.PortAccess a = mesh.access(w, port);
        if (a.strict()) {
          strict++;
        }
        if (a.plaintext()) {
          portsPlaintext++;
        }
      }
      portsTotal += ports.size();
      portsStrict += strict;
      row[2] += ports.size();
      row[3] += strict;
      if (w.inMesh() && !ports.isEmpty() && strict == ports.size()) {
        strictWorkloads++;
      }
    }
    perNs.computeIfAbsent(root, k -> new int[4]);

    List<NamespaceRow> namespaces = new ArrayList<>();
    List<String> without = new ArrayList<>();
    int withWorkloads = 0;
    int covered = 0;
    for (Map.Entry<String, int[]> e : perNs.entrySet()) {
      String ns = e.getKey();
      int[] r = e.getValue();
      boolean deny = AuthorizationFacts.hasDefaultDeny(s, ns);
      int aps = s.authorizationPoliciesIn(ns).size()
          + (int) s.invalidPoliciesIn(ns).stream().filter(p -> p.kind() == dev.gatehouse.model.PolicyKind.AUTHORIZATION_POLICY).count();
      namespaces.add(new NamespaceRow(ns, r[0], r[1], r[2], r[3], share(r[3], r[2]),
          mesh.peerAuthentication().namespaceMode(ns).name(), deny, aps));
      if (r[1] > 0) {
        withWorkloads++;
        if (deny) {
          covered++;
        } else {
          without.add(ns);
        }
      }
    }

    Map<String, Integer> byAction = new LinkedHashMap<>();
    for (String a : List.of("ALLOW", "DENY", "AUDIT", "CUSTOM")) {
      byAction.put(a, 0);
    }
    int dryRun = 0;
    for (Policy<AuthorizationPolicy> p : s.authorizationPolicies()) {
      String action = switch (p.spec().getAction()) {
        case ALLOW, DENY, AUDIT, CUSTOM -> p.spec().getAction().name();
        default -> "DENY";
      };
      byAction.merge(action, 1, Integer::sum);
      if (AuthorizationFacts.dryRun(p.meta().annotations())) {
        dryRun++;
      }
    }
    int invalid = s.invalidPolicies().size();
    int policyTotal = s.authorizationPolicies().size() + s.peerAuthentications().size()
        + s.requestAuthentications().size() + s.destinationRules().size() + invalid;
    Policies policies = new Policies(byAction, dryRun, s.peerAuthentications().size(),
        s.requestAuthentications().size(), s.destinationRules().size(), invalid, policyTotal);

    return new PostureReport(
        mesh.input().now().toString(),
        mesh.input().source(),
        new Mesh(s.mesh().trustDomain(), s.mesh().trustDomainAliases(), root, rootMode.workloadMode().name(),
            rootMode.source()),
        new Workloads(total, sidecar, proxyless, total - sidecar - proxyless, strictWorkloads,
            share(strictWorkloads, total)),
        new Ports(portsTotal, portsStrict, portsPlaintext, share(portsStrict, portsTotal)),
        List.copyOf(namespaces),
        new DefaultDeny(withWorkloads, covered, share(covered, withWorkloads), List.copyOf(without)),
        policies,
        new Findings(analysis.counts(), analysis.findings().size(), analysis.findings()),
        ca(mesh.input().ca(), mesh.input().now()));
  }

  /** A stand-in pod of the root namespace: its mode is the mesh-wide mode. */
  private static Workload rootWorkload(MeshPosture mesh) {
    return new Workload(dev.gatehouse.model.ResourceMeta.of("Pod", mesh.snapshot().mesh().rootNamespace(), "-"),
        "default", "", List.of(), false, false);
  }

  static double share(int part, int whole) {
    if (whole == 0) {
      return 100.0;
    }
    return Math.round(part * 1000.0 / whole) / 10.0;
  }

  private static Ca ca(CaFacts ca, Instant now) {
    List<Certificate> roots = certificates(ca.roots(), now);
    List<Certificate> intermediates = certificates(ca.intermediates(), now);
    Instant rootExpiry = null;
    for (X509Certificate c : ca.roots()) {
      Instant t = c.getNotAfter().toInstant();
      rootExpiry = rootExpiry == null || t.isBefore(rootExpiry) ? t : rootExpiry;
    }
    return new Ca(ca.mode(), ca.source(), ca.defaultWorkloadCertTtl().map(Durations::format).orElse(""),
        ca.maxWorkloadCertTtl().map(Durations::format).orElse(""), ca.workloadRotation(), ca.rootRotation(),
        rootExpiry == null ? "" : rootExpiry.toString(),
        rootExpiry == null ? -1 : Duration.between(now, rootExpiry).toDays(), roots, intermediates);
  }

  private static List<Certificate> certificates(List<X509Certificate> certs, Instant now) {
    List<Certificate> out = new ArrayList<>();
    for (X509Certificate c : certs) {
      out.add(new Certificate(c.getSubjectX500Principal().getName(), c.getSerialNumber().toString(16),
          c.getNotBefore().toInstant().toString(), c.getNotAfter().toInstant().toString(),
          Duration.between(now, c.getNotAfter().toInstant()).toDays()));
    }
    return List.copyOf(out);
  }
}
