package dev.gatehouse.posture.analyze;

import dev.gatehouse.api.istio.security.v1beta1.JWTRule;
import dev.gatehouse.api.istio.security.v1beta1.RequestAuthentication;
import dev.gatehouse.model.Policy;
import dev.gatehouse.posture.JwksFetch;
import dev.gatehouse.posture.MeshPosture;
import dev.gatehouse.xds.authn.JwksResolver;
import dev.gatehouse.xds.authz.AuthzOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The {@code jwksUri}s of RequestAuthentications, checked against a fresh fetch made at the edge
 * ({@link JwksFetch}): GH0010 when it fails or returns no key set Envoy would load (tokens of that issuer are then
 * rejected); GH0011 when the issuer publishes a {@code kid} that the key set Gatehouse sends proxies (inline mode)
 * lacks, so tokens signed with that key are rejected until the next refresh. Nothing is reported for URIs that were
 * not fetched ({@code --offline}). Pure.
 */
final class JwksChecks {
  private JwksChecks() {}

  static List<Finding> check(MeshPosture mesh) {
    List<Finding> out = new ArrayList<>();
    AuthzOptions authz = mesh.input().options().authz();
    for (Policy<RequestAuthentication> p : mesh.snapshot().requestAuthentications()) {
      String object = "RequestAuthentication " + p.key();
      for (JWTRule rule : p.spec().getJwtRulesList()) {
        String uri = rule.getJwksUri();
        if (uri.isEmpty() || !rule.getJwks().isEmpty()) {
          continue;
        }
        if (!JwksResolver.fetchable(uri)) {
          out.add(Finding.of(FindingCode.GH0010, object, "issuer " + rule.getIssuer() + ": jwksUri " + uri
              + " is not an http(s) URL, so it is never fetched and every token of this issuer is rejected"));
          continue;
        }
        JwksFetch fetch = mesh.input().jwks().get(uri);
        if (fetch == null) {
          continue;
        }
        if (!fetch.ok()) {
          out.add(Finding.of(FindingCode.GH0010, object, "issuer " + rule.getIssuer() + ": jwksUri " + uri
              + " cannot be used: " + fetch.problem() + "; tokens of this issuer are rejected"));
          continue;
        }
        if (authz.remoteJwks()) {
          continue; // Envoy fetches itself and refetches on an unknown kid
        }
        Optional<String> sent = authz.jwks().keySet(uri);
        if (sent.isEmpty()) {
          out.add(Finding.of(FindingCode.GH0011, object, "issuer " + rule.getIssuer() + ": Gatehouse has no key "
              + "set for " + uri + " yet, so proxies verify no token of this issuer (the issuer publishes kids "
              + new TreeSet<>(fetch.kids()) + ")"));
          continue;
        }
        TreeSet<String> missing = new TreeSet<>(fetch.kids());
        missing.removeAll(JwksFetch.kids(sent.get()));
        missing.remove("");
        if (!missing.isEmpty()) {
          out.add(Finding.of(FindingCode.GH0011, object, "issuer " + rule.getIssuer() + " signs with kid(s) "
              + missing + " that the key set proxies have for " + uri + " lacks: those tokens are rejected (401)"));
        }
      }
    }
    return out;
  }
}
