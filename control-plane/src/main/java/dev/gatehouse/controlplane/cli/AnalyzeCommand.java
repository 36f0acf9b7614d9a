package dev.gatehouse.controlplane.cli;

import dev.gatehouse.posture.PostureJson;
import dev.gatehouse.posture.analyze.Analysis;
import dev.gatehouse.posture.analyze.AnalysisText;
import dev.gatehouse.posture.analyze.Severity;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "analyze",
    mixinStandardHelpOptions = true,
    description = {
      "Findings with stable codes (GHxxxx, docs/posture.md), severity, the object concerned and the fix.",
      "As a CI gate: gatehouse analyze -f manifests/ --fail-on warning"
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:no finding at --fail-on or above",
      "1:findings at --fail-on or above",
      "2:bad arguments",
      "3:input not readable"
    })
final class AnalyzeCommand extends MeshCommand implements Callable<Integer> {
  @Option(names = {"--format", "-o"}, paramLabel = "FORMAT", defaultValue = "text",
      description = "text or json (default: ${DEFAULT-VALUE})")
  OutputFormat format;

  @Option(names = "--fail-on", paramLabel = "SEVERITY", defaultValue = "error",
      description = "exit 1 when a finding is this severe or more: error, warning, info, or none "
          + "(default: ${DEFAULT-VALUE})")
  String failOn;

  @Override
  public Integer call() {
    if (format == OutputFormat.html) {
      throw new CliException(GatehouseCli.USAGE, "analyze prints text or json (the HTML report is `posture`)");
    }
    Severity threshold = null;
    if (!failOn.toLowerCase(Locale.ROOT).equals("none")) {
      try {
        threshold = Severity.parse(failOn);
      } catch (IllegalArgumentException e) {
        throw new CliException(GatehouseCli.USAGE, "--fail-on: " + e.getMessage().replace(")", ", none)"));
      }
    }
    Analysis a = source().analyze();
    print(format == OutputFormat.json ? PostureJson.write(a) : AnalysisText.render(a));
    return threshold != null && a.failsAt(threshold) ? GatehouseCli.FINDINGS_OR_DENIED : GatehouseCli.OK;
  }
}
