package dev.gatehouse.controlplane.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The HTML posture report in Debian's headless Chromium: it loads with no console error and no request leaving the
 * page (every host resolves to nothing, and the page's CSP loads nothing), and every figure in the rendered DOM
 * equals the JSON report's. Screenshot: target/posture-report.png. Under CI=true a missing chromium fails the test.
 */
class PostureHtmlChromiumTest {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Pattern FIGURE = Pattern.compile("data-figure=\"([^\"]+)\" data-value=\"([^\"]*)\"");

  private static String cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = GatehouseCli.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
    assertThat(code).as(err.toString()).isZero();
    return out.toString();
  }

  private static List<String> chromium(Path profile, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-dev-shm-usage", "--no-first-run", "--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0",
        "--host-resolver-rules=MAP * ~NOTFOUND", "--disable-background-networking", "--disable-component-update"));
    cmd.addAll(List.of(args));
    Path stdout = Files.createTempFile("chromium", ".out");
    Path stderr = Files.createTempFile("chromium", ".err");
    Process p = new ProcessBuilder(cmd).redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
    if (!p.waitFor(90, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("chromium did not finish in 90 s");
    }
    return List.of(Files.readString(stdout), Files.readString(stderr));
  }

  @Test
  void pageLoadsCleanlyAndItsFiguresEqualTheJson() throws Exception {
    boolean ci = "true".equals(System.getenv("CI"));
    if (!Files.isExecutable(CHROMIUM)) {
      if (ci) {
        throw new AssertionError("CI=true but " + CHROMIUM + " is missing (.ci/run installs Debian's chromium)");
      }
      Assumptions.abort("no " + CHROMIUM);
    }
    String json = cli("posture", "-f", "../examples", "--format", "json", "--offline");
    Path target = Path.of("target").toAbsolutePath();
    Files.createDirectories(target);
    Path page = target.resolve("posture-report.html");
    // The page as --server renders it: from the JSON report (one run, so generatedAt is the same instant).
    Files.writeString(page, dev.gatehouse.posture.report.PostureHtml.render(
        dev.gatehouse.posture.PostureJson.read(json, dev.gatehouse.posture.report.PostureReport.class)));
    Path profile = Files.createTempDirectory("chromium-profile");

    List<String> dump = chromium(profile, "--dump-dom", page.toUri().toString());
    String dom = dump.get(0);
    String log = dump.get(1);
    assertThat(dom).contains("Security posture");
    assertThat(log).as("console messages").doesNotContain("CONSOLE(").doesNotContain("Refused to");
    assertThat(log).as("network errors").doesNotContain("ERR_NAME_NOT_RESOLVED");

    JsonNode report = JsonMapper.builder().build().readTree(json);
    Matcher m = FIGURE.matcher(dom);
    int compared = 0;
    while (m.find()) {
      JsonNode node = report;
      for (String part : m.group(1).split("\\.")) {
        node = part.matches("\\d+") ? node.path(Integer.parseInt(part)) : node.path(part);
      }
      assertThat(node.isMissingNode()).as("JSON has %s", m.group(1)).isFalse();
      String value = m.group(2).replace("&amp;", "&");
      if (node.isNumber()) {
        assertThat(Double.parseDouble(value)).as(m.group(1)).isEqualTo(node.asDouble());
      } else {
        assertThat(value).as(m.group(1)).isEqualTo(node.asString());
      }
      compared++;
    }
    assertThat(compared).as("figures compared").isGreaterThan(30);

    Path shot = target.resolve("posture-report.png");
    Files.deleteIfExists(shot);
    chromium(profile, "--window-size=1280,2400", "--screenshot=" + shot, page.toUri().toString());
    assertThat(shot).exists();
    assertThat(Files.size(shot)).isGreaterThan(10_000);
    assertThat(Files.readString(page, StandardCharsets.UTF_8)).doesNotContain("<script").doesNotContain("src=\"http");
  }
}
