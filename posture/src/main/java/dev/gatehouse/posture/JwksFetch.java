package dev.gatehouse.posture;

import dev.gatehouse.xds.authn.JwksDocument;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What a fresh fetch of a {@code jwksUri} returned, made at the edge (CLI or server) just before the analysis.
 *
 * @param uri the jwksUri
 * @param ok true when the response is a key set Envoy would load
 * @param kids the {@code kid} of every key in it (keys without one are listed as "")
 * @param problem why the fetch failed or the document is unusable; empty when {@code ok}
 */
public record JwksFetch(String uri, boolean ok, List<String> kids, String problem) {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  public JwksFetch {
    Objects.requireNonNull(uri, "uri");
    kids = List.copyOf(kids);
    problem = problem == null ? "" : problem;
  }

  /** A fetched body: usable or not, by the same rule the translation applies before sending keys to proxies. */
  public static JwksFetch of(String uri, String body) {
    Optional<String> problem = JwksDocument.problem(body);
    if (problem.isPresent()) {
      return failed(uri, problem.get());
    }
    return new JwksFetch(uri, true, kids(body), "");
  }

  public static JwksFetch failed(String uri, String problem) {
    return new JwksFetch(uri, false, List.of(), problem);
  }

  /** The kids of a JWKS document; empty when it is not one. */
  public static List<String> kids(String jwks) {
    List<String> out = new ArrayList<>();
    try {
      JsonNode keys = JSON.readTree(jwks).path("keys");
      for (JsonNode k : keys) {
        out.add(k.path("kid").asString(""));
      }
    } catch (RuntimeException e) {
      return List.of();
    }
    return out;
  }
}
