package dev.gatehouse.controlplane.cli;

import dev.gatehouse.posture.PostureJson;
import dev.gatehouse.posture.explain.ExplainRequest;
import dev.gatehouse.posture.explain.Explanation;
import dev.gatehouse.posture.explain.ExplanationText;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "explain",
    mixinStandardHelpOptions = true,
    description = {
      "Would this request (or TCP connection) be allowed? Says whether mTLS is negotiated at all and exactly which "
          + "policy and rule decided, worked out on the listeners, clusters and RBAC filters Gatehouse sends the two "
          + "proxies (not on a second reading of the policies)."
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:allowed",
      "1:denied (or the connection is refused)",
      "2:bad arguments",
      "3:input not readable, or no such pod",
      "4:undecided: a CUSTOM provider decides, or the config cannot be evaluated"
    })
final class ExplainCommand extends MeshCommand implements Callable<Integer> {
  @Option(names = "--to", required = true, paramLabel = "NAMESPACE/POD", description = "the destination pod")
  String to;

  @Option(names = "--port", required = true, paramLabel = "PORT", description = "the destination's container port")
  int port;

  @Option(names = "--from", paramLabel = "SPIFFE_ID",
      description = "the caller is a mesh client with this identity, e.g. spiffe://cluster.local/ns/shop/sa/web")
  String from;

  @Option(names = "--from-pod", paramLabel = "NAMESPACE/POD",
      description = "the caller is this pod: its own proxy's config decides how it connects")
  String fromPod;

  @Option(names = "--plaintext", description = "the caller connects without TLS (outside the mesh, a probe)")
  boolean plaintext;

  @Option(names = "--method", paramLabel = "METHOD", description = "HTTP method (default GET; POST for gRPC)")
  String method;

  @Option(names = "--path", paramLabel = "PATH", description = "HTTP path (default /)")
  String path;

  @Option(names = "--host", paramLabel = "HOST", description = "HTTP authority (default: the Service's name)")
  String host;

  @Option(names = "--header", paramLabel = "NAME=VALUE", description = "a request header, repeatable")
  Map<String, String> headers = new LinkedHashMap<>();

  @Option(names = "--jwt-claims", paramLabel = "JSON",
      description = "the claims of a valid bearer token the caller presents, e.g. '{\"iss\":\"...\",\"sub\":\"...\"}'")
  String jwtClaims;

  @Option(names = {"--format", "-o"}, paramLabel = "FORMAT", defaultValue = "text",
      description = "text or json (default: ${DEFAULT-VALUE})")
  OutputFormat format;

  @Override
  @SuppressWarnings("unchecked")
  public Integer call() {
    if (format == OutputFormat.html) {
      throw new CliException(GatehouseCli.USAGE, "explain prints text or json");
    }
    Map<String, Object> claims = Map.of();
    if (jwtClaims != null) {
      try {
        claims = PostureJson.read(jwtClaims, Map.class);
      } catch (RuntimeException e) {
        throw new CliException(GatehouseCli.USAGE, "--jwt-claims must be a JSON object: " + e.getMessage());
      }
    }
    ExplainRequest request = new ExplainRequest(to, port, from, fromPod, plaintext, method, path, host, headers, claims);
    String problem = request.problem();
    if (problem != null) {
      throw new CliException(GatehouseCli.USAGE, problem);
    }
    Explanation e = source().explain(request);
    print(format == OutputFormat.json ? PostureJson.write(e) : ExplanationText.render(e));
    return switch (e.verdict()) {
      case Explanation.ALLOW -> GatehouseCli.OK;
      case Explanation.DENY -> GatehouseCli.FINDINGS_OR_DENIED;
      default -> GatehouseCli.UNDECIDED;
    };
  }
}
