package dev.gatehouse.it.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.gatehouse.it.helm.RenderedChart;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The CLI as a user runs it: {@code java -jar} of the executable jar the reactor just packaged (and {@code bin/gatehouse},
 * which runs that jar), real arguments on the bundled {@code examples/}, exit codes (docs/posture.md), stdout and stderr.
 * Every invocation is its own JVM (about 2 s each); they start together in {@link #runAll()}, a few at a time.
 */
class GatehouseJarCliTest {
  private static final Path ROOT = RenderedChart.locate("bin/gatehouse").getParent().getParent();
  private static final Path JAR = execJar();
  private static final Path OUT = ROOT.resolve("integration-tests/target/cli-test");
  private static final List<String> SUBCOMMANDS =
      List.of("serve", "token", "describe", "explain", "analyze", "posture", "generate-completion");
  private static final Map<String, CompletableFuture<Run>> RUNS = new LinkedHashMap<>();
  private static ExecutorService pool;

  record Run(List<String> command, int exit, String stdout, String stderr) {
    @Override
    public String toString() {
      return command + " -> " + exit + "\n--- stdout\n" + stdout + "\n--- stderr\n" + stderr;
    }
  }

  @BeforeAll
  static void runAll() throws IOException {
    Files.createDirectories(OUT);
    pool = Executors.newFixedThreadPool(3);
    jar("analyze-warning", "analyze", "-f", "examples", "--fail-on", "warning");
    jar("analyze-error", "analyze", "-f", "examples", "--fail-on", "error");
    jar("analyze-json", "analyze", "-f", "examples", "--format", "json");
    jar("explain-allow", "explain", "-f", "examples", "--to", "shop/cart-0", "--port", "7070",
        "--from-pod", "shop/frontend-0", "--path", "/shop.cart.v1.Cart/Get");
    jar("explain-deny", "explain", "-f", "examples", "--to", "shop/cart-0", "--port", "7070",
        "--from", "spiffe://cluster.local/ns/legacy/sa/reports", "--path", "/shop.cart.v1.Cart/Get", "--format", "json");
    jar("explain-bad-args", "explain", "-f", "examples", "--to", "shop/cart-0", "--port", "7070", "--from", "bogus");
    jar("describe-json", "describe", "shop/cart-0", "-f", "examples", "--format", "json");
    jar("describe-unknown", "describe", "shop/nope", "-f", "examples");
    jar("missing-dir", "analyze", "-f", "no-such-dir");
    jar("unknown-option", "analyze", "-f", "examples", "--no-such-option");
    jar("posture-html", "posture", "-f", "examples", "--format", "html", "--output-file",
        OUT.resolve("posture.html").toString());
    jar("posture-json", "posture", "-f", "examples", "--format", "json");
    jar("completion", "generate-completion");
    jar("help", "--help");
    for (String sub : SUBCOMMANDS) {
      jar("help-" + sub, sub, "--help");
    }
    if (binGatehouseUsesThisJar()) {
      run("bin-analyze-warning", List.of(ROOT.resolve("bin/gatehouse").toString(), "analyze", "-f", "examples",
          "--fail-on", "warning"));
      run("bin-help-explain", List.of(ROOT.resolve("bin/gatehouse").toString(), "explain", "--help"));
    }
  }

  @AfterAll
  static void stop() {
    pool.shutdownNow();
  }

  private static void jar(String name, String... args) {
    List<String> cmd = new ArrayList<>(List.of(javaBin(), "-jar", JAR.toString()));
    cmd.addAll(List.of(args));
    run(name, cmd);
  }

  private static void run(String name, List<String> cmd) {
    RUNS.put(name, CompletableFuture.supplyAsync(() -> exec(cmd), pool));
  }

  private static Run exec(List<String> cmd) {
    try {
      Path out = Files.createTempFile(OUT, "out", ".txt");
      Path err = Files.createTempFile(OUT, "err", ".txt");
      ProcessBuilder pb = new ProcessBuilder(cmd).directory(ROOT.toFile())
          .redirectOutput(out.toFile()).redirectError(err.toFile());
      pb.environment().remove("KUBECONFIG");
      Process p = pb.start();
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError(cmd + " did not finish within 120 s");
      }
      Run r = new Run(cmd, p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
      Files.delete(out);
      Files.delete(err);
      return r;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  private static Run result(String name) {
    return RUNS.get(name).join();
  }

  @Test
  void analyzeFailsOnWarningsButNotOnErrorsForTheBundledMesh() {
    Run warning = result("analyze-warning");
    assertThat(warning.exit()).as(warning.toString()).isEqualTo(1);
    assertThat(warning.stdout()).contains("WARNING GH0003 plaintext-client-to-strict  Service shop/cart")
        .contains("fix: ").contains("findings in directory ").contains("0 error(s)");
    Run error = result("analyze-error");
    assertThat(error.exit()).as(error.toString()).isEqualTo(0);
    assertThat(error.stdout()).isEqualTo(warning.stdout());
  }

  @Test
  void analyzeJsonParsesAndAgreesWithTheText() {
    Run json = result("analyze-json");
    assertThat(json.exit()).as(json.toString()).isEqualTo(0); // default --fail-on error, no errors
    JsonObject o = JsonParser.parseString(json.stdout()).getAsJsonObject();
    JsonObject counts = o.getAsJsonObject("counts");
    int total = o.getAsJsonArray("findings").size();
    assertThat(counts.get("error").getAsInt() + counts.get("warning").getAsInt() + counts.get("info").getAsInt())
        .isEqualTo(total);
    assertThat(result("analyze-warning").stdout()).contains(total + " findings in directory ")
        .contains(counts.get("warning").getAsInt() + " warning(s)");
    for (var f : o.getAsJsonArray("findings")) {
      JsonObject finding = f.getAsJsonObject();
      assertThat(finding.get("code").getAsString()).matches("GH\\d{4}");
      assertThat(result("analyze-warning").stdout()).contains(finding.get("code").getAsString() + " "
          + finding.get("name").getAsString() + "  " + finding.get("object").getAsString());
    }
  }

  @Test
  void explainAllowsTheDemoCallAndNamesTheRuleAndDeniesAnotherCaller() {
    Run allow = result("explain-allow");
    assertThat(allow.exit()).as(allow.toString()).isEqualTo(0);
    assertThat(allow.stdout()).startsWith("ALLOW  shop/cart-0:7070 (http, proxyless gRPC)")
        .contains("shop/frontend-0 (sidecar) sends mTLS")
        .contains("Decided by:  AuthorizationPolicy shop/cart-from-frontend rule 0 (ALLOW)");
    Run deny = result("explain-deny");
    assertThat(deny.exit()).as(deny.toString()).isEqualTo(1);
    JsonObject o = JsonParser.parseString(deny.stdout()).getAsJsonObject();
    assertThat(o.get("verdict").getAsString()).isEqualTo("DENY");
    assertThat(o.getAsJsonObject("connection").get("mtls").getAsBoolean()).isTrue();
    assertThat(o.getAsJsonObject("decidedBy").get("kind").getAsString()).isEqualTo("AuthorizationPolicy");
  }

  @Test
  void badArgumentsAndUnreadableInputHaveTheirExitCodesAndSayWhy() {
    Run bad = result("explain-bad-args");
    assertThat(bad.exit()).as(bad.toString()).isEqualTo(2);
    assertThat(bad.stderr()).contains("--from must be a SPIFFE ID");
    Run unknown = result("unknown-option");
    assertThat(unknown.exit()).as(unknown.toString()).isEqualTo(2);
    assertThat(unknown.stderr()).contains("--no-such-option");
    Run pod = result("describe-unknown");
    assertThat(pod.exit()).as(pod.toString()).isEqualTo(3);
    assertThat(pod.stderr()).contains("shop/nope");
    Run dir = result("missing-dir");
    assertThat(dir.exit()).as(dir.toString()).isEqualTo(3);
    assertThat(dir.stderr()).contains("no-such-dir");
  }

  @Test
  void describeAndPostureJsonParse() throws IOException {
    Run describe = result("describe-json");
    assertThat(describe.exit()).as(describe.toString()).isEqualTo(0);
    JsonObject d = JsonParser.parseString(describe.stdout()).getAsJsonObject();
    assertThat(d.get("workload").getAsString()).isEqualTo("shop/cart-0");
    assertThat(d.getAsJsonObject("identity").get("spiffeId").getAsString())
        .isEqualTo("spiffe://cluster.local/ns/shop/sa/cart");
    Run posture = result("posture-json");
    assertThat(posture.exit()).as(posture.toString()).isEqualTo(0);
    JsonObject p = JsonParser.parseString(posture.stdout()).getAsJsonObject();
    assertThat(p.getAsJsonObject("workloads").get("total").getAsInt()).isEqualTo(7);
    Run html = result("posture-html");
    assertThat(html.exit()).as(html.toString()).isEqualTo(0);
    String page = Files.readString(OUT.resolve("posture.html"));
    assertThat(page).startsWith("<!DOCTYPE html>").contains("data-figure=")
        .doesNotContain("src=\"http", "href=\"http", "url(http");
  }

  @Test
  void everySubcommandHasHelpAndCompletionIsABashScript() {
    Run top = result("help");
    assertThat(top.exit()).as(top.toString()).isEqualTo(0);
    for (String sub : SUBCOMMANDS) {
      assertThat(top.stdout()).contains(sub);
      Run help = result("help-" + sub);
      assertThat(help.exit()).as(help.toString()).isEqualTo(0);
      assertThat(help.stdout()).as(sub + " --help").contains("Usage: gatehouse " + sub);
    }
    assertThat(result("help-analyze").stdout()).contains("--fail-on");
    assertThat(result("help-explain").stdout()).contains("--from-pod").contains("--plaintext");
    Run completion = result("completion");
    assertThat(completion.exit()).isEqualTo(0);
    assertThat(completion.stdout()).contains("complete -F").contains("gatehouse");
  }

  @Test
  void binGatehouseGivesTheSameAnswersAsTheJar() {
    boolean fresh = binGatehouseUsesThisJar();
    if (!fresh && "true".equals(System.getenv("CI"))) {
      throw new AssertionError("sources newer than " + JAR + ": bin/gatehouse would rebuild (a clean CI build never is)");
    }
    assumeTrue(fresh, "sources changed after the jar was built: bin/gatehouse would rebuild it, not run it");
    Run bin = result("bin-analyze-warning");
    Run jar = result("analyze-warning");
    assertThat(bin.exit()).as(bin.toString()).isEqualTo(jar.exit());
    assertThat(bin.stdout()).isEqualTo(jar.stdout());
    assertThat(bin.stderr()).doesNotContain("building");
    Run help = result("bin-help-explain");
    assertThat(help.exit()).isEqualTo(0);
    assertThat(help.stdout()).isEqualTo(result("help-explain").stdout());
  }

  /** bin/gatehouse's own test: it runs the jar unless a source file is newer (then it rebuilds first). */
  private static boolean binGatehouseUsesThisJar() {
    try {
      FileTime built = Files.getLastModifiedTime(JAR);
      for (String dir : List.of("pom.xml", "api", "model", "ca", "xds", "posture", "control-plane")) {
        try (Stream<Path> files = Files.walk(ROOT.resolve(dir))) {
          if (files.filter(f -> !f.toString().contains(File.separator + "target" + File.separator))
              .filter(Files::isRegularFile)
              .anyMatch(f -> lastModified(f).compareTo(built) > 0)) {
            return false;
          }
        }
      }
      return true;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static FileTime lastModified(Path f) {
    try {
      return Files.getLastModifiedTime(f);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path execJar() {
    Path target = ROOT.resolve("control-plane/target");
    try (Stream<Path> files = Files.list(target)) {
      List<Path> jars = files.filter(p -> p.getFileName().toString().matches("gatehouse-control-plane-.*-exec\\.jar"))
          .toList();
      assertThat(jars).as("the executable jar in %s (the reactor packages control-plane before this module)", target)
          .hasSize(1);
      return jars.get(0);
    } catch (IOException e) {
      throw new UncheckedIOException("no " + target + ": build control-plane first", e);
    }
  }

  private static String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }
}
