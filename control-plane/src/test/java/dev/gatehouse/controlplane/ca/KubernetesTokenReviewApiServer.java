package dev.gatehouse.controlplane.ca;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.gatehouse.ca.auth.AuthenticationRequest;
import dev.gatehouse.ca.auth.AuthenticationResult;
import dev.gatehouse.ca.auth.JwtAuthenticator;
import dev.gatehouse.ca.auth.LocalTokenIssuer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test server implementing the documented kube-apiserver TokenReview API
 * ({@code POST /apis/authentication.k8s.io/v1/tokenreviews}, kubernetes.io/docs/reference/kubernetes-api/authentication-resources/token-review-v1/):
 * service-account tokens minted by {@code issuer} are validated (signature, expiry, audience) as the API server
 * validates projected tokens; {@code status.audiences} is the intersection of the requested and the token's
 * audiences; failures answer {@code authenticated: false} with an {@code error}. Listens on 127.0.0.1; can be told
 * to answer 500. No real kube-apiserver is available here.
 */
final class KubernetesTokenReviewApiServer implements AutoCloseable {
  private final HttpServer server;
  private final LocalTokenIssuer issuer;
  private final Clock clock;
  final AtomicInteger reviews = new AtomicInteger();
  volatile int failWithStatus;

  KubernetesTokenReviewApiServer(LocalTokenIssuer issuer, Clock clock) throws IOException {
    this.issuer = issuer;
    this.clock = clock;
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/apis/authentication.k8s.io/v1/tokenreviews", this::handle);
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!"POST".equals(exchange.getRequestMethod())) {
        respond(exchange, 405, "{\"kind\":\"Status\",\"status\":\"Failure\",\"code\":405}");
        return;
      }
      reviews.incrementAndGet();
      if (failWithStatus != 0) {
        respond(exchange, failWithStatus, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"code\":"
            + failWithStatus + ",\"message\":\"etcdserver: request timed out\"}");
        return;
      }
      JsonObject review = JsonParser.parseString(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8))
          .getAsJsonObject();
      JsonObject spec = review.getAsJsonObject("spec");
      String token = spec.get("token").getAsString();
      List<String> requested = new ArrayList<>();
      if (spec.has("audiences")) {
        spec.getAsJsonArray("audiences").forEach(a -> requested.add(a.getAsString()));
      }
      // With no audiences in the request, the API server checks its own (the issuer's) audience.
      List<String> audiences = requested.isEmpty() ? List.of("https://kubernetes.default.svc") : requested;
      AuthenticationResult result = new JwtAuthenticator(issuer::keySet, issuer.issuer(), audiences, "cluster.local", clock, Duration.ZERO)
          .authenticate(AuthenticationRequest.ofToken(token));
      JsonObject status = new JsonObject();
      if (result instanceof AuthenticationResult.Authenticated a) {
        status.addProperty("authenticated", true);
        JsonObject user = new JsonObject();
        user.addProperty("username", a.identity().spiffeId().kubernetesUserName());
        user.addProperty("uid", "00000000-0000-0000-0000-000000000001");
        JsonArray groups = new JsonArray();
        groups.add("system:serviceaccounts");
        groups.add("system:serviceaccounts:" + a.identity().namespace());
        groups.add("system:authenticated");
        user.add("groups", groups);
        status.add("user", user);
        JsonArray matched = new JsonArray();
        audiences.forEach(matched::add);
        status.add("audiences", matched);
      } else {
        status.addProperty("authenticated", false);
        status.add("user", new JsonObject());
        status.addProperty("error", "[invalid bearer token, " + ((AuthenticationResult.Rejected) result).reason() + "]");
      }
      review.add("status", status);
      review.addProperty("kind", "TokenReview");
      review.addProperty("apiVersion", "authentication.k8s.io/v1");
      respond(exchange, 201, review.toString());
    }
  }

  private static void respond(HttpExchange exchange, int code, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    exchange.sendResponseHeaders(code, bytes.length);
    exchange.getResponseBody().write(bytes);
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
