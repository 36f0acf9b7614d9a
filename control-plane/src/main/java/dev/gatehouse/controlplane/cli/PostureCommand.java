package dev.gatehouse.controlplane.cli;

import dev.gatehouse.posture.PostureJson;
import dev.gatehouse.posture.report.PostureHtml;
import dev.gatehouse.posture.report.PostureReport;
import dev.gatehouse.posture.report.PostureText;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "posture",
    mixinStandardHelpOptions = true,
    description = {
      "The mesh's security posture for an auditor: share of workloads and ports under STRICT, namespaces with a "
          + "default deny, policies in force, findings by severity, certificate TTL and rotation, CA mode and root "
          + "expiry. HTML is one self-contained page (no external assets)."
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:report written", "2:bad arguments", "3:input not readable, or the output file not writable"})
final class PostureCommand extends MeshCommand implements Callable<Integer> {
  @Option(names = {"--format", "-o"}, paramLabel = "FORMAT", defaultValue = "text",
      description = "text, json or html (default: ${DEFAULT-VALUE})")
  OutputFormat format;

  @Option(names = "--output-file", paramLabel = "FILE", description = "write the report here instead of stdout")
  Path file;

  @Override
  public Integer call() {
    PostureReport r = source().posture();
    String rendered = switch (format) {
      case text -> PostureText.render(r);
      case json -> PostureJson.write(r);
      case html -> PostureHtml.render(r);
    };
    if (file == null) {
      print(rendered);
      return GatehouseCli.OK;
    }
    try {
      Files.writeString(file, rendered, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new CliException(GatehouseCli.INPUT, "--output-file " + file + ": " + e.getMessage(), e);
    }
    return GatehouseCli.OK;
  }
}
