package dev.gatehouse.posture.explain;

import dev.gatehouse.posture.PostureJson;
import dev.gatehouse.posture.explain.Explanation.FilterStep;

/** {@code gatehouse explain} as text for a terminal. Pure. */
public final class ExplanationText {
  private ExplanationText() {}

  public static String render(Explanation e) {
    StringBuilder b = new StringBuilder();
    b.append(e.verdict()).append("  ").append(e.destination()).append(':').append(e.port()).append(" (")
        .append(e.protocol()).append(", ").append(e.destinationProxy()).append(")\n");
    b.append("Reason:      ").append(e.reason()).append('\n');
    Explanation.Client c = e.client();
    b.append("Client:      ").append(c.who()).append(" sends ").append(c.sends().isEmpty() ? "?" : c.sends());
    if (!c.via().isEmpty()) {
      b.append(" (").append(c.via()).append(')');
    }
    b.append('\n');
    if (!c.principal().isEmpty()) {
      b.append("             presenting ").append(c.principal()).append('\n');
    }
    Explanation.Connection k = e.connection();
    if (!k.listener().isEmpty()) {
      b.append("Connection:  listener ").append(k.listener())
          .append(k.filterChain().isEmpty() ? ", no filter chain" : ", chain " + k.filterChain())
          .append(k.mtls() ? ", mTLS negotiated" : ", no mTLS").append('\n');
    }
    if (!k.peerPrincipal().isEmpty()) {
      b.append("             the filters see peer ").append(k.peerPrincipal()).append('\n');
    }
    if (!e.filters().isEmpty()) {
      b.append("Filters:\n");
      int i = 1;
      for (FilterStep f : e.filters()) {
        b.append(String.format("  %d. %-5s %s", i++, f.result(), f.filter()));
        if (!f.action().isEmpty()) {
          b.append(" (").append(f.action()).append(')');
        }
        if (!f.matchedPolicy().isEmpty()) {
          b.append(" matched ").append(f.matchedPolicy());
        }
        if (!f.matchedShadowPolicy().isEmpty()) {
          b.append(" shadow matched ").append(f.matchedShadowPolicy());
        }
        if (!f.detail().isEmpty()) {
          b.append(": ").append(f.detail());
        }
        b.append('\n');
      }
    }
    Explanation.Decider d = e.decidedBy();
    if (!d.policy().isEmpty() || !d.kind().isEmpty()) {
      b.append("Decided by:  ").append(d.kind()).append(d.kind().isEmpty() ? "" : " ").append(d.policy());
      if (d.rule() >= 0) {
        b.append(" rule ").append(d.rule());
      }
      if (!d.action().isEmpty()) {
        b.append(" (").append(d.action()).append(')');
      }
      b.append('\n');
      if (d.ruleSpec() != null) {
        b.append("             ").append(PostureJson.compact(d.ruleSpec())).append('\n');
      }
    }
    if (!e.notes().isEmpty()) {
      b.append("Notes:\n");
      e.notes().forEach(n -> b.append("  - ").append(n).append('\n'));
    }
    return b.toString();
  }
}
