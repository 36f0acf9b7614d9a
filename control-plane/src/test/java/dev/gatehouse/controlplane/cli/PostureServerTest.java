package dev.gatehouse.controlplane.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.posture.PostureJson;
import dev.gatehouse.posture.analyze.Analysis;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The posture commands with {@code --server}: a Gatehouse serving examples/ answers /debug/* with the same findings
 * and figures the CLI works out on the directory itself.
 */
@SpringBootTest(
    classes = dev.gatehouse.controlplane.GatehouseApplication.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    args = "--config-dir=../examples",
    properties = {"gatehouse.grpc.secure-port=0", "gatehouse.grpc.plaintext-port=0"})
class PostureServerTest {
  @DynamicPropertySource
  static void stateInATempDir(DynamicPropertyRegistry registry) throws IOException {
    Path state = Files.createTempDirectory("gatehouse-state");
    registry.add("gatehouse.state-dir", state::toString);
  }

  @Value("${local.server.port}")
  int port;

  private static String[] run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = GatehouseCli.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new String[] {String.valueOf(code), out.toString(), err.toString()};
  }

  @Test
  void serverAnswersAsTheDirectoryDoes() {
    String url = "http://127.0.0.1:" + port;
    String[] remote = run("analyze", "--server", url, "--format", "json", "--fail-on", "none");
    assertThat(remote[0]).as(remote[2]).isEqualTo("0");
    String[] local = run("analyze", "-f", "../examples", "--format", "json", "--fail-on", "none", "--offline");
    Analysis a = PostureJson.read(remote[1], Analysis.class);
    Analysis b = PostureJson.read(local[1], Analysis.class);
    assertThat(a.findings()).isEqualTo(b.findings());

    String[] describe = run("describe", "shop/cart-0", "--server", url);
    assertThat(describe[0]).as(describe[2]).isEqualTo("0");
    assertThat(describe[1]).contains("spiffe://cluster.local/ns/shop/sa/cart", "shop/cart-from-frontend");

    String[] explain = run("explain", "--server", url, "--to", "shop/cart-0", "--port", "7070", "--plaintext");
    assertThat(explain[0]).as(explain[1] + explain[2]).isEqualTo("1");

    String[] missing = run("describe", "shop/nope", "--server", url);
    assertThat(missing[0]).isEqualTo("3");
    assertThat(missing[2]).contains("no pod shop/nope");

    String[] html = run("posture", "--server", url, "--format", "html");
    assertThat(html[1]).startsWith("<!DOCTYPE html>").contains("data-figure=\"workloads.total\" data-value=\"7\"");
  }
}
