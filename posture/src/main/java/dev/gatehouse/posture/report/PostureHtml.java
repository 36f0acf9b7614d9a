package dev.gatehouse.posture.report;

import dev.gatehouse.posture.analyze.Finding;
import dev.gatehouse.posture.report.PostureReport.Certificate;
import dev.gatehouse.posture.report.PostureReport.NamespaceRow;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code gatehouse posture --format html}: one self-contained page (inline CSS, an inline SVG chart, no script, no
 * external asset; the Content-Security-Policy forbids loading anything). Every headline figure carries
 * {@code data-figure="<json path>"} so a test (or an auditor's script) can check it against the JSON report. Pure.
 */
public final class PostureHtml {
  private static final String CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";
  private static final String STYLE = """
      body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:72rem;
      color:#1d2330;padding:0 1rem}h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.1rem;margin-top:2rem}
      .sub{color:#5a6478;margin-top:0}.cards{display:flex;flex-wrap:wrap;gap:.8rem}.card{border:1px solid #d5dae3;
      border-radius:6px;padding:.6rem .9rem;min-width:10rem}.card b{display:block;font-size:1.6rem}
      table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .6rem;border-bottom:1px solid #e4e7ed;
      vertical-align:top}th{background:#f3f5f8}.error{color:#b3261e;font-weight:600}.warning{color:#8a5a00;
      font-weight:600}.info{color:#2d5fa8}.no{color:#b3261e}.yes{color:#1b7a3a}code{font-size:.92em}
      """;

  private PostureHtml() {}

  public static String render(PostureReport r) {
    StringBuilder b = new StringBuilder(16_384);
    b.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        .append("<meta http-equiv=\"Content-Security-Policy\" content=\"").append(CSP).append("\">\n")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
        .append("<title>Gatehouse security posture</title>\n<style>").append(STYLE).append("</style>\n</head>\n<body>\n");
    b.append("<h1>Security posture</h1>\n<p class=\"sub\">").append(esc(r.source())).append(" &middot; generated ")
        .append(figure("generatedAt", r.generatedAt())).append("</p>\n");

    b.append("<div class=\"cards\">\n");
    card(b, "Workloads taking only mTLS", "workloads.strictShare", pct(r.workloads().strictShare()) + "%",
        figure("workloads.strict", r.workloads().strict()) + " of " + figure("workloads.total", r.workloads().total()));
    card(b, "Ports taking only mTLS", "ports.strictShare", pct(r.ports().strictShare()) + "%",
        figure("ports.strict", r.ports().strict()) + " of " + figure("ports.total", r.ports().total()) + ", "
            + figure("ports.plaintext", r.ports().plaintext()) + " take plaintext");
    card(b, "Namespaces with default deny", "defaultDeny.share", pct(r.defaultDeny().share()) + "%",
        figure("defaultDeny.covered", r.defaultDeny().covered()) + " of "
            + figure("defaultDeny.namespaces", r.defaultDeny().namespaces()));
    card(b, "Policies in force", "policies.total", String.valueOf(r.policies().total()),
        figure("policies.invalid", r.policies().invalid()) + " invalid (fail closed)");
    card(b, "Findings", "findings.total", String.valueOf(r.findings().total()),
        figure("findings.bySeverity.error", r.findings().bySeverity().getOrDefault("error", 0)) + " error, "
            + figure("findings.bySeverity.warning", r.findings().bySeverity().getOrDefault("warning", 0)) + " warning, "
            + figure("findings.bySeverity.info", r.findings().bySeverity().getOrDefault("info", 0)) + " info");
    card(b, "Root CA days left", "ca.rootDaysLeft", r.ca().rootDaysLeft() < 0 ? "unknown"
 
        : String.valueOf(r.ca().rootDaysLeft()), String.valueOf(r.ca().rootDaysLeft()), "CA mode " + figure("ca.mode", r.ca().mode()));
    b.append("</div>\n");

    b.append("<h2>mTLS by namespace</h2>\n").append(chart(r.namespaces()));

    b.append("<h2>Mesh</h2>\n<table>\n");
    row(b, "Trust domain", figure("mesh.trustDomain", r.mesh().trustDomain())
        + (r.mesh().trustDomainAliases().isEmpty() ? "" : " (aliases " + esc(String.join(", ",
            r.mesh().trustDomainAliases())) + ")"));
    row(b, "Root namespace", figure("mesh.rootNamespace", r.mesh().rootNamespace()));
    row(b, "Mesh-wide mTLS", figure("mesh.mtlsMode", r.mesh().mtlsMode()) + " (" + esc(r.mesh().mtlsDecidedBy()) + ")");
    row(b, "Workloads", figure("workloads.sidecar", r.workloads().sidecar()) + " sidecar, "
        + figure("workloads.proxylessGrpc", r.workloads().proxylessGrpc()) + " proxyless gRPC, "
        + figure("workloads.withoutProxy", r.workloads().withoutProxy()) + " without proxy");
    b.append("</table>\n");

    b.append("<h2>Namespaces</h2>\n<table>\n<tr><th>Namespace</th><th>Pods</th><th>In mesh</th><th>Ports</th>")
        .append("<th>mTLS-only ports</th><th>Mode</th><th>Default deny</th><th>AuthorizationPolicies</th></tr>\n");
    for (int i = 0; i < r.namespaces().size(); i++) {
      NamespaceRow n = r.namespaces().get(i);
      String p = "namespaces." + i + ".";
      b.append("<tr><td>").append(figure(p + "name", n.name())).append("</td><td>").append(figure(p + "workloads",
          n.workloads())).append("</td><td>").append(figure(p + "inMesh", n.inMesh())).append("</td><td>")
          .append(figure(p + "ports", n.ports())).append("</td><td>").append(figure(p + "strictPorts", n.strictPorts()))
          .append(" (").append(pct(n.strictShare())).append("%)</td><td>").append(esc(n.mtlsMode()))
          .append("</td><td class=\"").append(n.defaultDeny() ? "yes" : "no").append("\">")
          .append(figure(p + "defaultDeny", n.defaultDeny() ? "yes" : "no", String.valueOf(n.defaultDeny())))
          .append("</td><td>").append(figure(p + "authorizationPolicies", n.authorizationPolicies()))
          .append("</td></tr>\n");
    }
    b.append("</table>\n");

    PostureReport.Policies pol = r.policies();
    b.append("<h2>Policies</h2>\n<table>\n");
    StringBuilder actions = new StringBuilder();
    for (Map.Entry<String, Integer> e : pol.authorizationPolicies().entrySet()) {
      actions.append(actions.isEmpty() ? "" : ", ").append(esc(e.getKey())).append(' ')
          .append(figure("policies.authorizationPolicies." + e.getKey(), e.getValue()));
    }
    row(b, "AuthorizationPolicy", actions + " (" + figure("policies.dryRun", pol.dryRun()) + " dry-run)");
    row(b, "PeerAuthentication", figure("policies.peerAuthentications", pol.peerAuthentications()));
    row(b, "RequestAuthentication", figure("policies.requestAuthentications", pol.requestAuthentications()));
    row(b, "DestinationRule", figure("policies.destinationRules", pol.destinationRules()));
    b.append("</table>\n");

    PostureReport.Ca ca = r.ca();
    b.append("<h2>Certificates</h2>\n<table>\n");
    row(b, "CA mode", esc(ca.mode()) + " (" + esc(ca.source()) + ")");
    row(b, "Workload certificate TTL", ca.defaultWorkloadCertTtl().isEmpty() ? "unknown"
        : figure("ca.defaultWorkloadCertTtl", ca.defaultWorkloadCertTtl())
            + (ca.maxWorkloadCertTtl().isEmpty() ? "" : " (at most " + esc(ca.maxWorkloadCertTtl()) + ")"));
    row(b, "Workload rotation", esc(ca.workloadRotation()));
    row(b, "Root rotation", ca.rootRotation().isEmpty() ? "not known" : esc(ca.rootRotation()));
    row(b, "Root expiry", ca.rootExpiry().isEmpty() ? "unknown" : figure("ca.rootExpiry", ca.rootExpiry()));
    for (Certificate c : ca.roots()) {
      row(b, "Root", "<code>" + esc(c.subject()) + "</code> until " + esc(c.notAfter()) + " (" + c.daysLeft() + " days)");
    }
    for (Certificate c : ca.intermediates()) {
      row(b, "Intermediate", "<code>" + esc(c.subject()) + "</code> until " + esc(c.notAfter()) + " (" + c.daysLeft()
          + " days)");
    }
    b.append("</table>\n");

    b.append("<h2>Findings</h2>\n");
    if (r.findings().list().isEmpty()) {
      b.append("<p>None.</p>\n");
    } else {
      b.append("<table>\n<tr><th>Severity</th><th>Code</th><th>Object</th><th>Finding</th><th>Fix</th></tr>\n");
      for (Finding f : r.findings().list()) {
        b.append("<tr data-finding=\"").append(esc(f.code())).append("\"><td class=\"").append(f.severity().label())
            .append("\">").append(f.severity().label()).append("</td><td><code>").append(esc(f.code()))
            .append("</code></td><td>").append(esc(f.object())).append("</td><td>").append(esc(f.message()))
            .append("</td><td>").append(esc(f.fix())).append("</td></tr>\n");
      }
      b.append("</table>\n");
    }
    b.append("<p class=\"sub\">Codes and fixes: docs/posture.md. Same figures as JSON: "
        + "<code>gatehouse posture --format json</code> or <code>/debug/posture</code>.</p>\n</body>\n</html>\n");
    return b.toString();
  }

  /** Horizontal bars: per namespace, ports taking only mTLS (green) and the rest (red). */
  static String chart(List<NamespaceRow> rows) {
    List<NamespaceRow> shown = new ArrayList<>();
    for (NamespaceRow n : rows) {
      if (n.ports() > 0) {
        shown.add(n);
      }
    }
    if (shown.isEmpty()) {
      return "<p>No ports.</p>\n";
    }
    int label = 160;
    int width = 480;
    int bar = 18;
    int height = shown.size() * (bar + 8) + 24;
    StringBuilder b = new StringBuilder();
    b.append("<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"mTLS-only ports by namespace\" ")
        .append("width=\"").append(label + width + 90).append("\" height=\"").append(height).append("\">\n");
    Map<String, String> legend = new LinkedHashMap<>();
    legend.put("#1b7a3a", "mTLS only");
    legend.put("#d9534f", "plaintext accepted or no proxy");
    int x = label;
    for (Map.Entry<String, String> e : legend.entrySet()) {
      b.append("<rect x=\"").append(x).append("\" y=\"2\" width=\"10\" height=\"10\" fill=\"").append(e.getKey())
          .append("\"/><text x=\"").append(x + 14).append("\" y=\"11\" font-size=\"11\">").append(esc(e.getValue()))
          .append("</text>\n");
      x += 200;
    }
    int y = 22;
    for (NamespaceRow n : shown) {
      int strict = (int) Math.round(width * (double) n.strictPorts() / n.ports());
      b.append("<g data-chart-namespace=\"").append(esc(n.name())).append("\" data-strict=\"").append(n.strictPorts())
          .append("\" data-total=\"").append(n.ports()).append("\">");
      b.append("<text x=\"").append(label - 8).append("\" y=\"").append(y + 13)
          .append("\" font-size=\"12\" text-anchor=\"end\">").append(esc(n.name())).append("</text>");
      b.append("<rect x=\"").append(label).append("\" y=\"").append(y).append("\" width=\"").append(strict)
          .append("\" height=\"").append(bar).append("\" fill=\"#1b7a3a\"/>");
      b.append("<rect x=\"").append(label + strict).append("\" y=\"").append(y).append("\" width=\"")
          .append(width - strict).append("\" height=\"").append(bar).append("\" fill=\"#d9534f\"/>");
      b.append("<text x=\"").append(label + width + 6).append("\" y=\"").append(y + 13).append("\" font-size=\"12\">")
          .append(n.strictPorts()).append('/').append(n.ports()).append("</text></g>\n");
      y += bar + 8;
    }
    return b.append("</svg>\n").toString();
  }

  private static void card(StringBuilder b, String title, String path, String value, String detail) {
    card(b, title, path, value, value.replace("%", ""), detail);
  }

  /** A headline figure shown as {@code value} whose JSON value is {@code json}. */
  private static void card(StringBuilder b, String title, String path, String value, String json, String detail) {
    String raw = value.replace("%", "");
    b.append("<div class=\"card\">").append(esc(title)).append("<b data-figure=\"").append(path)
        .append("\" data-value=\"").append(esc(json)).append("\">").append(esc(raw)).append("</b>").append(value.endsWith("%") ? "<span>%</span> " : "")
        .append(detail).append("</div>\n");
  }

  private static void row(StringBuilder b, String name, String html) {
    b.append("<tr><th>").append(esc(name)).append("</th><td>").append(html).append("</td></tr>\n");
  }

  private static String figure(String path, Object value) {
    return figure(path, String.valueOf(value), String.valueOf(value));
  }

  /** A figure shown as {@code shown}, whose JSON value is {@code json}. */
  private static String figure(String path, String shown, String json) {
    return "<span data-figure=\"" + esc(path) + "\" data-value=\"" + esc(json) + "\">" + esc(shown) + "</span>";
  }

  static String pct(double share) {
    return PostureText.pct(share);
  }

  static String esc(String s) {
    StringBuilder b = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '&' -> b.append("&amp;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }
}
