package dev.gatehouse.controlplane.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.posture.PostureJson;
import dev.gatehouse.posture.analyze.Analysis;
import dev.gatehouse.posture.report.PostureReport;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The posture commands run as a user runs them, on the bundled examples/ mesh: arguments, exit codes, output. */
class GatehouseCliTest {
  private static final String EXAMPLES = Path.of("..", "examples").toString();

  private record Run(int code, String out, String err) {}

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = GatehouseCli.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void analyzeReportsTheExamplesFindingsAndFailsOnlyAtTheThresholdAsked() {
    Run text = run("analyze", "-f", EXAMPLES);
    assertThat(text.code()).as(text.err()).isEqualTo(GatehouseCli.OK); // no error-severity finding in examples/
    assertThat(text.out()).contains("GH0002", "PeerAuthentication legacy/default", "GH0007",
        "AuthorizationPolicy payments/ledger-from-payments-api");

    Run gate = run("analyze", "-f", EXAMPLES, "--fail-on", "warning", "--format", "json");
    assertThat(gate.code()).isEqualTo(GatehouseCli.FINDINGS_OR_DENIED);
    Analysis a = PostureJson.read(gate.out(), Analysis.class);
    assertThat(a.withCode("GH0002")).extracting(f -> f.object()).containsExactly("PeerAuthentication legacy/default");
    assertThat(a.counts().get("warning")).isEqualTo(a.findings().stream()
        .filter(f -> f.severity().label().equals("warning")).count());

    assertThat(run("analyze", "-f", EXAMPLES, "--fail-on", "bogus").code()).isEqualTo(GatehouseCli.USAGE);
  }

  @Test
  void describeShowsModeDeciderPoliciesAndIdentity() {
    Run r = run("describe", "shop/cart-0", "-f", EXAMPLES);
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("spiffe://cluster.local/ns/shop/sa/cart", "STRICT",
        "PeerAuthentication istio-system/default", "ALLOW  shop/cart-from-frontend", "DENY   shop/deny-legacy");
    Run missing = run("describe", "shop/nope", "-f", EXAMPLES);
    assertThat(missing.code()).isEqualTo(GatehouseCli.INPUT);
    assertThat(missing.err()).contains("no pod shop/nope");
  }

  @Test
  void explainExitCodesFollowTheVerdict() {
    Run denied = run("explain", "-f", EXAMPLES, "--to", "shop/cart-0", "--port", "7070", "--plaintext");
    assertThat(denied.code()).as(denied.out() + denied.err()).isEqualTo(GatehouseCli.FINDINGS_OR_DENIED);
    assertThat(denied.out()).startsWith("DENY").contains("PeerAuthentication istio-system/default");

    Run bad = run("explain", "-f", EXAMPLES, "--to", "shop/cart-0", "--port", "7070", "--from", "cart");
    assertThat(bad.code()).isEqualTo(GatehouseCli.USAGE);
    assertThat(bad.err()).contains("SPIFFE ID");
    assertThat(run("explain", "-f", EXAMPLES, "--to", "shop/cart-0").code()).isEqualTo(GatehouseCli.USAGE);
  }

  @Test
  void postureJsonAndHtmlCarryTheSameFigures() {
    Run json = run("posture", "-f", EXAMPLES, "--format", "json");
    assertThat(json.code()).as(json.err()).isZero();
    PostureReport r = PostureJson.read(json.out(), PostureReport.class);
    assertThat(r.workloads().total()).isEqualTo(7);
    Run html = run("posture", "-f", EXAMPLES, "--format", "html");
    assertThat(html.out()).startsWith("<!DOCTYPE html>")
        .contains("data-figure=\"workloads.total\" data-value=\"" + r.workloads().total() + "\"")
        .contains("data-figure=\"ports.strict\" data-value=\"" + r.ports().strict() + "\"")
        .doesNotContain("<script", "src=\"http", "href=\"http");
  }

  @Test
  void missingDirectoryAndUnknownSubcommandOptionsAreClearErrors() {
    Run r = run("analyze", "-f", "/nonexistent/dir");
    assertThat(r.code()).isEqualTo(GatehouseCli.INPUT);
    assertThat(r.err()).contains("no such directory");
    assertThat(run("describe", "--help").out()).contains("Exit codes");
  }

  @Test
  void withoutASubcommandEverythingGoesToServe() {
    org.assertj.core.api.Assertions.assertThat(GatehouseCli.withSubcommand(GatehouseCli.commandLine(
        new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter())),
        new String[] {"--config-dir", "examples", "--server.port=0"}))
        .containsExactly("serve", "--config-dir", "examples", "--server.port=0");
    assertThat(GatehouseCli.withSubcommand(GatehouseCli.commandLine(
        new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter())), new String[] {"analyze"}))
        .containsExactly("analyze");
  }
}
