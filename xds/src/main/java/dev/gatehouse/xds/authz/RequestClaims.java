package dev.gatehouse.xds.authz;

import io.envoyproxy.envoy.config.rbac.v3.Principal;
import java.util.List;

/**
 * {@code when: request.auth.claims[a][b]}: the (nested) JWT claim is a string equal to one of the values, or a
 * list containing one. Also {@code request.auth.audiences} (claim aud) and {@code request.auth.presenter} (azp).
 */
final class RequestClaims implements PrincipalAttribute {
  static final String PREFIX = "request.auth.claims";
  static final RequestClaims AUDIENCES = new RequestClaims(List.of("aud"));
  static final RequestClaims PRESENTER = new RequestClaims(List.of("azp"));
  static final RequestClaims BY_KEY = new RequestClaims(null);

  private final List<String> fixedPath;

  private RequestClaims(List<String> fixedPath) {
    this.fixedPath = fixedPath;
  }

  @Override
  public Principal principal(String key, List<String> values, ChainTarget target)
      throws Unavailable, Untranslatable {
    List<String> path = fixedPath != null ? fixedPath : BracketedNames.nested(key.substring(PREFIX.length()), key);
    target.requireJwt(key);
    return Principal.newBuilder().setMetadata(Matchers.jwtClaimListOrString(path, values)).build();
  }
}
