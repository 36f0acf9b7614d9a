package dev.gatehouse.posture.describe;

import dev.gatehouse.posture.PostureJson;
import dev.gatehouse.posture.describe.WorkloadDescription.PolicyInEffect;
import dev.gatehouse.posture.describe.WorkloadDescription.PortMode;
import dev.gatehouse.posture.text.TextTable;
import java.util.List;

/** {@code gatehouse describe} as text for a terminal. Pure. */
public final class DescriptionText {
  private DescriptionText() {}

  public static String render(WorkloadDescription d) {
    StringBuilder b = new StringBuilder();
    b.append("Pod ").append(d.workload()).append(" (").append(d.proxy())
        .append(d.ip().isEmpty() ? "" : ", " + d.ip()).append(", service account ").append(d.serviceAccount())
        .append(")\n");
    b.append("Identity:   ").append(d.identity().spiffeId());
    if (!d.identity().certificateTtl().isEmpty()) {
      b.append(" (certificate ").append(d.identity().certificateTtl()).append(")");
    }
    b.append('\n');
    if (!d.identity().rotation().isEmpty()) {
      b.append("            ").append(d.identity().rotation()).append('\n');
    }
    for (String alias : d.identity().acceptedAs()) {
      b.append("            also accepted as ").append(alias).append('\n');
    }
    b.append("mTLS:       ").append(d.mtlsMode()).append(", decided by ").append(d.mtlsDecidedBy()).append('\n');
    b.append("Services:   ").append(d.services().isEmpty() ? "none" : String.join("; ", d.services())).append("\n\n");

    TextTable ports = new TextTable("PORT", "PROTOCOL", "MODE", "ACCEPTS", "DECIDED BY");
    for (PortMode p : d.ports()) {
      String accepts = p.acceptsMtls() && p.acceptsPlaintext() ? "mTLS, plaintext"
          : p.acceptsMtls() ? "mTLS only" : p.acceptsPlaintext() ? "plaintext" : "nothing";
      ports.row(String.valueOf(p.port()), p.protocol(), p.mode(), accepts, p.decidedBy());
    }
    b.append(d.ports().isEmpty() ? "Ports: none\n" : ports.render());

    b.append("\nAuthorizationPolicies (CUSTOM, then DENY, then ALLOW decide; AUDIT only logs):\n");
    policies(b, d.authorizationPolicies(), "rule");
    b.append("\nRequestAuthentications:\n");
    policies(b, d.requestAuthentications(), "jwtRule");
    if (!d.errors().isEmpty()) {
      b.append("\nTranslation errors (fail closed):\n");
      d.errors().forEach(e -> b.append("  - ").append(e).append('\n'));
    }
    if (!d.notices().isEmpty()) {
      b.append("\nNotices:\n");
      d.notices().forEach(n -> b.append("  - ").append(n).append('\n'));
    }
    return b.toString();
  }

  private static void policies(StringBuilder b, List<PolicyInEffect> list, String ruleWord) {
    if (list.isEmpty()) {
      b.append("  none\n");
      return;
    }
    for (PolicyInEffect p : list) {
      b.append("  ");
      if (!p.action().isEmpty()) {
        b.append(String.format("%-7s", p.action()));
      }
      b.append(p.policy()).append("  (").append(p.scope()).append(p.dryRun() ? ", dry-run" : "")
          .append(p.provider().isEmpty() ? "" : ", provider " + p.provider()).append(")\n");
      if (!p.problem().isEmpty()) {
        b.append("         problem: ").append(p.problem()).append('\n');
      }
      if (p.rules().isEmpty() && !p.action().isEmpty() && p.problem().isEmpty()) {
        b.append("         no rules").append(p.action().equals("ALLOW") ? ": allows nothing" : "").append('\n');
      }
      for (int i = 0; i < p.rules().size(); i++) {
        b.append("         ").append(ruleWord).append(' ').append(i).append(": ")
            .append(PostureJson.compact(p.rules().get(i))).append('\n');
      }
    }
  }
}
