package dev.gatehouse.controlplane.cli;

import dev.gatehouse.posture.PostureJson;
import dev.gatehouse.posture.describe.DescriptionText;
import dev.gatehouse.posture.describe.WorkloadDescription;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "describe",
    mixinStandardHelpOptions = true,
    description = {
      "What protects one pod: the effective mTLS mode per port and the PeerAuthentication that decided it, the "
          + "AuthorizationPolicies (DENY, ALLOW, AUDIT, CUSTOM) and RequestAuthentications that apply with their "
          + "rules, and the certificate identity the pod gets."
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:described", "2:bad arguments", "3:input not readable, or no such pod"})
final class DescribeCommand extends MeshCommand implements Callable<Integer> {
  @Parameters(paramLabel = "NAMESPACE/POD", description = "the pod, e.g. shop/cart-1")
  String pod;

  @Option(names = {"--format", "-o"}, paramLabel = "FORMAT", defaultValue = "text",
      description = "text or json (default: ${DEFAULT-VALUE})")
  OutputFormat format;

  @Override
  public Integer call() {
    if (format == OutputFormat.html) {
      throw new CliException(GatehouseCli.USAGE, "describe prints text or json");
    }
    WorkloadDescription d = source().describe(pod);
    print(format == OutputFormat.json ? PostureJson.write(d) : DescriptionText.render(d));
    return GatehouseCli.OK;
  }
}
