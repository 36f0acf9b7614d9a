package dev.gatehouse.controlplane.cli;

import dev.gatehouse.posture.PostureJson;
import dev.gatehouse.posture.analyze.Analysis;
import dev.gatehouse.posture.describe.WorkloadDescription;
import dev.gatehouse.posture.explain.ExplainRequest;
import dev.gatehouse.posture.explain.Explanation;
import dev.gatehouse.posture.report.PostureReport;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Asks a running Gatehouse: {@code GET /debug/describe}, {@code /debug/explain}, {@code /debug/analyze},
 * {@code /debug/posture} on its HTTP port, which answer in the JSON the CLI prints with {@code --format json}. The
 * endpoints serve loopback callers only (port-forward to reach one in a cluster).
 */
final class ServerPosture implements PostureSource {
  private final URI base;
  private final Duration timeout;
  private final HttpClient client;

  ServerPosture(URI server, Duration timeout) {
    String s = server.toString();
    this.base = URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
    this.timeout = timeout;
    this.client = HttpClient.newBuilder().connectTimeout(timeout).build();
  }

  @Override
  public WorkloadDescription describe(String pod) {
    return PostureJson.read(get("/debug/describe", List.of("pod", pod)), WorkloadDescription.class);
  }

  @Override
  public Explanation explain(ExplainRequest r) {
    List<String> q = new ArrayList<>(List.of("to", r.to(), "port", Integer.toString(r.port())));
    add(q, "from", r.from());
    add(q, "fromPod", r.fromPod());
    add(q, "method", r.method());
    add(q, "path", r.path());
    add(q, "host", r.host());
    if (r.plaintext()) {
      q.addAll(List.of("plaintext", "true"));
    }
    for (Map.Entry<String, String> h : r.headers().entrySet()) {
      q.addAll(List.of("header", h.getKey() + "=" + h.getValue()));
    }
    if (!r.jwtClaims().isEmpty()) {
      q.addAll(List.of("jwtClaims", PostureJson.compact(r.jwtClaims())));
    }
    return PostureJson.read(get("/debug/explain", q), Explanation.class);
  }

  @Override
  public Analysis analyze() {
    return PostureJson.read(get("/debug/analyze", List.of()), Analysis.class);
  }

  @Override
  public PostureReport posture() {
    return PostureJson.read(get("/debug/posture", List.of()), PostureReport.class);
  }

  private static void add(List<String> q, String name, String value) {
    if (!value.isEmpty()) {
      q.add(name);
      q.add(value);
    }
  }

  private String get(String path, List<String> query) {
    StringBuilder uri = new StringBuilder(base + path);
    for (int i = 0; i < query.size(); i += 2) {
      uri.append(i == 0 ? '?' : '&').append(URLEncoder.encode(query.get(i), StandardCharsets.UTF_8)).append('=')
          .append(URLEncoder.encode(query.get(i + 1), StandardCharsets.UTF_8));
    }
    HttpRequest request = HttpRequest.newBuilder(URI.create(uri.toString())).timeout(timeout)
        .header("Accept", "application/json").GET().build();
    HttpResponse<String> response;
    try {
      response = client.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new CliException(GatehouseCli.INPUT, "--server " + base + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException(GatehouseCli.INPUT, "interrupted");
    }
    String body = response.body() == null ? "" : response.body().trim();
    return switch (response.statusCode()) {
      case 200 -> body;
      case 400 -> throw new CliException(GatehouseCli.USAGE, body);
      case 404 -> throw new CliException(GatehouseCli.INPUT, body.isEmpty() ? "not found: " + uri : body);
      case 403 -> throw new CliException(GatehouseCli.INPUT, "--server " + base + " refused " + path
          + " (403): the /debug endpoints serve loopback callers only; use kubectl port-forward");
      default -> throw new CliException(GatehouseCli.INPUT, "--server " + base + path + ": HTTP "
          + response.statusCode() + (body.isEmpty() ? "" : ": " + body));
    };
  }
}
