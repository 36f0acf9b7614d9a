package dev.gatehouse.controlplane.cli;

import dev.gatehouse.controlplane.ca.CaProperties;
import dev.gatehouse.controlplane.xds.JwksRefresher;
import dev.gatehouse.posture.CaFacts;
import dev.gatehouse.posture.MeshPosture;
import dev.gatehouse.posture.PostureInput;
import dev.gatehouse.posture.PostureJson;
import dev.gatehouse.posture.UnknownWorkload;
import dev.gatehouse.posture.explain.ExplainRequest;
import dev.gatehouse.posture.report.PostureHtml;
import dev.gatehouse.posture.report.PostureReport;
import dev.gatehouse.posture.report.PostureText;
import dev.gatehouse.xds.ProxyResources;
import dev.gatehouse.xds.server.ProxyConfig;
import dev.gatehouse.xds.server.XdsServer;
import jakarta.servlet.http.HttpServletRequest;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code /debug/describe}, {@code /debug/explain}, {@code /debug/analyze}, {@code /debug/posture}: the posture
 * commands' JSON, worked out on the snapshot this Gatehouse serves and the resources its xDS server sends (so
 * {@code gatehouse <command> --server URL} answers for the running config). Loopback callers only, as the other
 * /debug endpoints. jwksUris are not fetched here (GH0010/GH0011 need the CLI on the manifests).
 */
@RestController
public class PostureDebugController {
  private final XdsServer server;
  private final JwksRefresher jwks;
  private final ObjectProvider<CaProperties> ca;

  public PostureDebugController(XdsServer server, JwksRefresher jwks, ObjectProvider<CaProperties> ca) {
    this.server = server;
    this.jwks = jwks;
    this.ca = ca;
  }

  private MeshPosture mesh() {
    CaProperties p = ca.getIfAvailable();
    CaFacts facts = p == null ? CaFacts.unknown("no CA configured")
        : new CaFacts(p.mode().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'), "gatehouse.ca.* properties",
            List.of(), List.of(), Optional.of(p.defaultWorkloadCertTtl()), Optional.of(p.maxWorkloadCertTtl()),
            CaFacts.AGENT_ROTATION, "");
    PostureInput input = new PostureInput(server.snapshot(), jwks.options(), Optional.empty(), facts, Map.of(),
        List.of(), "running Gatehouse (snapshot version " + server.snapshot().version() + ")", Instant.now())
        .withSentConfig((snapshot, proxy) -> server.configFor(proxy).map(ProxyConfig::source)
            .orElseGet(() -> new ProxyResources(Map.of(), List.of())));
    return MeshPosture.of(input);
  }

  private static boolean fromLoopback(HttpServletRequest request) {
    try {
      return InetAddress.getByName(request.getRemoteAddr()).isLoopbackAddress();
    } catch (UnknownHostException | SecurityException e) {
      return false;
    }
  }

  private static ResponseEntity<String> answer(HttpServletRequest request, Supplier<String> body, MediaType type) {
    if (!fromLoopback(request)) {
      return ResponseEntity.status(HttpStatus.FORBIDDEN).build();
    }
    try {
      return ResponseEntity.ok().contentType(type).body(body.get());
    } catch (UnknownWorkload e) {
      return ResponseEntity.status(HttpStatus.NOT_FOUND).contentType(MediaType.TEXT_PLAIN).body(e.getMessage() + "\n");
    } catch (IllegalArgumentException e) {
      return ResponseEntity.badRequest().contentType(MediaType.TEXT_PLAIN).body(e.getMessage() + "\n");
    }
  }

  @GetMapping("/debug/describe")
  public ResponseEntity<String> describe(@RequestParam("pod") String pod, HttpServletRequest request) {
    return answer(request, () -> PostureJson.write(new LocalPosture(mesh()).describe(pod)), MediaType.APPLICATION_JSON);
  }

  @GetMapping("/debug/explain")
  @SuppressWarnings("unchecked")
  public ResponseEntity<String> explain(
      @RequestParam("to") String to, @RequestParam("port") int port,
      @RequestParam(name = "from", required = false) String from,
      @RequestParam(name = "fromPod", required = false) String fromPod,
      @RequestParam(name = "plaintext", defaultValue = "false") boolean plaintext,
      @RequestParam(name = "method", required = false) String method,
      @RequestParam(name = "path", required = false) String path,
      @RequestParam(name = "host", required = false) String host,
      @RequestParam(name = "header", required = false) List<String> headers,
      @RequestParam(name = "jwtClaims", required = false) String jwtClaims,
      HttpServletRequest request) {
    return answer(request, () -> {
      Map<String, String> h = new LinkedHashMap<>();
      for (String kv : headers == null ? List.<String>of() : headers) {
        int eq = kv.indexOf('=');
        if (eq <= 0) {
          throw new IllegalArgumentException("header must be name=value, got " + kv);
        }
        h.put(kv.substring(0, eq), kv.substring(eq + 1));
      }
      Map<String, Object> claims;
      try {
        claims = jwtClaims == null ? Map.of() : PostureJson.read(jwtClaims, Map.class);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("jwtClaims must be a JSON object");
      }
      return PostureJson.write(new LocalPosture(mesh()).explain(
          new ExplainRequest(to, port, from, fromPod, plaintext, method, path, host, h, claims)));
    }, MediaType.APPLICATION_JSON);
  }

  @GetMapping("/debug/analyze")
  public ResponseEntity<String> analyze(HttpServletRequest request) {
    return answer(request, () -> PostureJson.write(new LocalPosture(mesh()).analyze()), MediaType.APPLICATION_JSON);
  }

  /** JSON by default; {@code ?format=html} the self-contained page, {@code ?format=text} the text report. */
  @GetMapping("/debug/posture")
  public ResponseEntity<String> posture(
      @RequestParam(name = "format", defaultValue = "json") String format, HttpServletRequest request) {
    return switch (format) {
      case "html" -> answer(request, () -> PostureHtml.render(report()), MediaType.TEXT_HTML);
      case "text" -> answer(request, () -> PostureText.render(report()), MediaType.TEXT_PLAIN);
      case "json" -> answer(request, () -> PostureJson.write(report()), MediaType.APPLICATION_JSON);
      default -> ResponseEntity.badRequest().contentType(MediaType.TEXT_PLAIN).body("format is json, html or text\n");
    };
  }

  private PostureReport report() {
    return new LocalPosture(mesh()).posture();
  }
}
