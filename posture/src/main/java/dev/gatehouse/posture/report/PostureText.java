package dev.gatehouse.posture.report;

import dev.gatehouse.posture.analyze.Finding;
import dev.gatehouse.posture.report.PostureReport.Certificate;
import dev.gatehouse.posture.report.PostureReport.NamespaceRow;
import dev.gatehouse.posture.text.TextTable;
import java.util.Map;

/** {@code gatehouse posture} as text. Pure. */
public final class PostureText {
  private PostureText() {}

  public static String render(PostureReport r) {
    StringBuilder b = new StringBuilder();
    b.append("Security posture of ").append(r.source()).append(" at ").append(r.generatedAt()).append("\n\n");
    b.append("Mesh:            trust domain ").append(r.mesh().trustDomain())
        .append(r.mesh().trustDomainAliases().isEmpty() ? "" : " (aliases " + r.mesh().trustDomainAliases() + ")")
        .append(", root namespace ").append(r.mesh().rootNamespace()).append('\n');
    b.append("Mesh-wide mTLS:  ").append(r.mesh().mtlsMode()).append(" (").append(r.mesh().mtlsDecidedBy())
        .append(")\n");
    b.append(String.format("Workloads:       %d: %d sidecar, %d proxyless gRPC, %d without proxy; %d take only mTLS "
        + "(%s%%)%n", r.workloads().total(), r.workloads().sidecar(), r.workloads().proxylessGrpc(),
        r.workloads().withoutProxy(), r.workloads().strict(), pct(r.workloads().strictShare())));
    b.append(String.format("Ports:           %d: %d take only mTLS (%s%%), %d take plaintext%n", r.ports().total(),
        r.ports().strict(), pct(r.ports().strictShare()), r.ports().plaintext()));
    b.append(String.format("Default deny:    %d of %d namespaces with pods (%s%%)%s%n", r.defaultDeny().covered(),
        r.defaultDeny().namespaces(), pct(r.defaultDeny().share()),
        r.defaultDeny().without().isEmpty() ? "" : "; without: " + String.join(", ", r.defaultDeny().without())));
    PostureReport.Policies p = r.policies();
    b.append("Policies:        ").append(p.total()).append(" in force: AuthorizationPolicy ")
        .append(actions(p.authorizationPolicies())).append(p.dryRun() > 0 ? " (" + p.dryRun() + " dry-run)" : "")
        .append(", PeerAuthentication ").append(p.peerAuthentications())
        .append(", RequestAuthentication ").append(p.requestAuthentications())
        .append(", DestinationRule ").append(p.destinationRules())
        .append(p.invalid() > 0 ? ", " + p.invalid() + " invalid (fail closed)" : "").append('\n');
    b.append("Findings:        ").append(r.findings().total()).append(": ").append(r.findings().bySeverity().get("error"))
        .append(" error, ").append(r.findings().bySeverity().get("warning")).append(" warning, ")
        .append(r.findings().bySeverity().get("info")).append(" info\n");
    PostureReport.Ca ca = r.ca();
    b.append("CA:              mode ").append(ca.mode()).append(" (").append(ca.source()).append(")\n");
    if (!ca.defaultWorkloadCertTtl().isEmpty()) {
      b.append("                 workload certificates ").append(ca.defaultWorkloadCertTtl()).append(" (at most ")
          .append(ca.maxWorkloadCertTtl()).append("), ").append(ca.workloadRotation()).append('\n');
    }
    if (!ca.rootRotation().isEmpty()) {
      b.append("                 root: ").append(ca.rootRotation()).append('\n');
    }
    for (Certificate c : ca.roots()) {
      b.append("                 root ").append(c.subject()).append(" expires ").append(c.notAfter()).append(" (")
          .append(c.daysLeft()).append(" days)\n");
    }
    for (Certificate c : ca.intermediates()) {
      b.append("                 intermediate ").append(c.subject()).append(" expires ").append(c.notAfter())
          .append(" (").append(c.daysLeft()).append(" days)\n");
    }

    TextTable t = new TextTable("NAMESPACE", "PODS", "IN MESH", "PORTS", "MTLS-ONLY", "MODE", "DEFAULT DENY",
        "AUTHZ POLICIES");
    for (NamespaceRow n : r.namespaces()) {
      t.row(n.name(), String.valueOf(n.workloads()), String.valueOf(n.inMesh()), String.valueOf(n.ports()),
          n.strictPorts() + " (" + pct(n.strictShare()) + "%)", n.mtlsMode(), n.defaultDeny() ? "yes" : "no",
          String.valueOf(n.authorizationPolicies()));
    }
    b.append('\n').append(t.render());
    if (!r.findings().list().isEmpty()) {
      b.append('\n');
      TextTable f = new TextTable("SEVERITY", "CODE", "OBJECT", "FINDING");
      for (Finding x : r.findings().list()) {
        f.row(x.severity().label(), x.code(), x.object(), x.name());
      }
      b.append(f.render());
    }
    return b.toString();
  }

  static String pct(double share) {
    return share == Math.rint(share) ? String.valueOf((long) share) : String.valueOf(share);
  }

  private static String actions(Map<String, Integer> byAction) {
    StringBuilder b = new StringBuilder();
    byAction.forEach((a, n) -> b.append(b.isEmpty() ? "" : " ").append(a).append(' ').append(n));
    return b.toString();
  }
}
