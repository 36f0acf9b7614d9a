package dev.gatehouse.it.helm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.controlplane.GatehouseApplication;
import dev.gatehouse.controlplane.cli.GatehouseCli;
import java.io.PrintWriter;
import java.io.Writer;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * What can be checked of the root {@code Dockerfile} without a container engine (none is reachable here, so the image
 * itself is never built in tests): the jar its build stage copies is the executable jar this build produces, the run
 * stage is a JRE 17+ base running as a non-root user with container-sized heap options, and the arguments the image
 * starts with bind to Gatehouse's real properties, as the chart's Deployment arguments (which replace them) do.
 */
class DockerfileTest {
  private static final Path ROOT = RenderedChart.locate("Dockerfile").getParent();

  /** One instruction: its keyword and its arguments with line continuations joined. */
  record Instruction(String keyword, String arguments) {}

  @Test
  void theBuildStageCopiesTheExecutableJarTheBuildProduces() throws IOException {
    List<List<Instruction>> stages = stages();
    assertThat(stages).as("a multi-stage build").hasSizeGreaterThanOrEqualTo(2);
    String build = stages.get(0).stream().filter(i -> i.keyword().equals("RUN")).map(Instruction::arguments)
        .filter(a -> a.contains("mvnw")).findFirst().orElseThrow(() -> new AssertionError("no ./mvnw RUN in the build stage"));
    assertThat(build).contains("package").contains("-pl control-plane");
    Matcher copy = Pattern.compile("cp\\s+(\\S+\\.jar)\\s+(\\S+)").matcher(build);
    assertThat(copy.find()).as("the build stage copies a jar out of the build: " + build).isTrue();
    String glob = copy.group(1);

    Path target = ROOT.resolve("control-plane/target");
    PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + ROOT.resolve(glob));
    List<Path> matches;
    try (Stream<Path> files = Files.list(target)) {
      matches = files.filter(matcher::matches).toList();
    }
    assertThat(matches).as("%s in %s (the reactor packages control-plane before this module)", glob, target).hasSize(1);
    try (JarFile jar = new JarFile(matches.get(0).toFile())) {
      Manifest manifest = jar.getManifest();
      assertThat(manifest.getMainAttributes().getValue("Start-Class"))
          .as("the jar the image runs starts Gatehouse").isEqualTo(GatehouseApplication.class.getName());
      assertThat(manifest.getMainAttributes().getValue("Main-Class")).startsWith("org.springframework.boot.loader");
    }
    // The plain (library) jar sits beside it and must not be what the glob picks.
    assertThat(matches.get(0).getFileName().toString()).endsWith("-exec.jar");

    List<Instruction> run = stages.get(stages.size() - 1);
    String copied = copy.group(2);
    Instruction fromBuild = run.stream().filter(i -> i.keyword().equals("COPY") && i.arguments().startsWith("--from="))
        .findFirst().orElseThrow(() -> new AssertionError("the run stage copies nothing from the build stage"));
    String[] parts = fromBuild.arguments().split("\\s+");
    assertThat(parts[1]).as("the run stage copies the jar the build stage produced").isEqualTo(copied);
    assertThat(entrypoint(run)).containsExactly("java", "-jar", parts[2]);
    assertThat(Files.readString(ROOT.resolve(".dockerignore")))
        .as("a jar left in target/ on the host must not reach the build context").contains("**/target/");
  }

  @Test
  void theRunStageIsALockedDownJre17() {
    List<Instruction> run = stages().get(stages().size() - 1);
    String base = run.get(0).arguments();
    assertThat(base).matches(".*(distroless/java(1[7-9]|2\\d)|jre).*");
    String user = run.stream().filter(i -> i.keyword().equals("USER")).reduce((a, b) -> b)
        .orElseThrow(() -> new AssertionError("no USER in the run stage")).arguments();
    assertThat(user).as("numeric, so runAsNonRoot can verify it").matches("\\d+(:\\d+)?");
    assertThat(Integer.parseInt(user.split(":")[0])).as("non-root").isPositive();
    String env = run.stream().filter(i -> i.keyword().equals("ENV") && i.arguments().startsWith("JAVA_TOOL_OPTIONS"))
        .findFirst().orElseThrow(() -> new AssertionError("no JAVA_TOOL_OPTIONS")).arguments();
    assertThat(env).contains("MaxRAMPercentage").contains("ExitOnOutOfMemoryError");
  }

  @Test
  void theImageArgumentsAndTheChartsBindToGatehouseProperties() {
    List<String> cmd = exec(stages().get(stages().size() - 1), "CMD");
    assertThat(cmd).isNotEmpty().allSatisfy(a -> assertThat(a).startsWith("--"));
    ChartArguments.assertEveryGatehousePropertyBinds(cmd);
    assertServeAccepts(cmd);
    RenderedChart chart = RenderedChart.render(Map.of());
    assertThat(chart.container()).as("the chart keeps the image's ENTRYPOINT").doesNotContainKey("command");
    ChartArguments.assertEveryGatehousePropertyBinds(chart.args());
    assertServeAccepts(chart.args());
  }

  /** The application's command line (picocli) hands these arguments to {@code serve}, and serve parses them. */
  private static void assertServeAccepts(List<String> args) {
    PrintWriter discard = new PrintWriter(Writer.nullWriter());
    CommandLine cl = GatehouseCli.commandLine(discard, discard);
    assertThat(cl.getSubcommands()).as("the first argument must not name another subcommand").doesNotContainKey(args.get(0));
    List<String> withServe = new ArrayList<>(List.of("serve"));
    withServe.addAll(args);
    CommandLine.ParseResult parsed = cl.parseArgs(withServe.toArray(String[]::new));
    assertThat(parsed.subcommand().commandSpec().name()).isEqualTo("serve");
  }

  private static List<String> entrypoint(List<Instruction> stage) {
    return exec(stage, "ENTRYPOINT");
  }

  /** The exec (JSON array) form of ENTRYPOINT/CMD; the shell form would run through a shell distroless lacks. */
  private static List<String> exec(List<Instruction> stage, String keyword) {
    String arguments = stage.stream().filter(i -> i.keyword().equals(keyword)).reduce((a, b) -> b)
        .orElseThrow(() -> new AssertionError("no " + keyword)).arguments();
    assertThat(arguments).as(keyword + " in exec form").startsWith("[").endsWith("]");
    List<String> out = new ArrayList<>();
    Matcher m = Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(arguments);
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }

  private static List<List<Instruction>> stages() {
    List<String> lines;
    try {
      lines = Files.readAllLines(ROOT.resolve("Dockerfile"));
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    List<List<Instruction>> stages = new ArrayList<>();
    StringBuilder pending = new StringBuilder();
    for (String line : lines) {
      String trimmed = line.strip();
      if (pending.isEmpty() && (trimmed.isEmpty() || trimmed.startsWith("#"))) {
        continue;
      }
      if (trimmed.endsWith("\\")) {
        pending.append(trimmed, 0, trimmed.length() - 1).append(' ');
        continue;
      }
      pending.append(trimmed);
      String text = pending.toString().strip();
      pending.setLength(0);
      int space = text.indexOf(' ');
      Instruction instruction = new Instruction(text.substring(0, space).toUpperCase(), text.substring(space + 1).strip());
      if (instruction.keyword().equals("FROM")) {
        stages.add(new ArrayList<>());
      }
      assertThat(stages).as("an instruction before the first FROM: " + text).isNotEmpty();
      stages.get(stages.size() - 1).add(instruction);
    }
    return stages;
  }
}
