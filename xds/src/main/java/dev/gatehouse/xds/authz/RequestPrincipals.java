package dev.gatehouse.xds.authz;

import io.envoyproxy.envoy.config.rbac.v3.Principal;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code requestPrincipals} / {@code request.auth.principal}: "<iss>/<sub>" of the verified JWT, matched on the
 * payload jwt_authn writes to dynamic metadata ({@code envoy.filters.http.jwt_authn}, key {@code payload}), split
 * at the last "/" since issuers are URLs (Istio requestPrincipalGenerator).
 *
 * <p>Gatehouse differs in one place (istio/istio#59541): where Istio would require "any sub" (".+"), Gatehouse
 * requires only the issuer, so a valid token without a {@code sub} claim counts as "a request principal" ("*").
 */
final class RequestPrincipals implements PrincipalAttribute {
  static final RequestPrincipals INSTANCE = new RequestPrincipals();
  private static final StringMatcher ANY = Matchers.regex(".+");

  @Override
  public Principal principal(String key, List<String> values, ChainTarget target) throws Unavailable {
    target.requireJwt(key);
    List<Principal> or = new ArrayList<>();
    for (String value : values) {
      or.add(one(value));
    }
    return or.size() == 1 ? or.get(0) : Matchers.principalOr(or);
  }

  private static Principal one(String value) {
    int idx = value.lastIndexOf('/');
    boolean found = idx >= 0;
    String iss = found ? value.substring(0, idx) : value;
    String sub = found ? value.substring(idx + 1) : "";
    StringMatcher matchIss;
    StringMatcher matchSub;
    if (value.equals("*")) {
      matchIss = ANY;
      matchSub = ANY;
    } else if (value.startsWith("*")) {
      if (found) {
        matchIss = iss.equals("*") ? ANY : Matchers.suffix(iss.substring(1), false);
        matchSub = Matchers.exact(sub, false);
      } else {
        matchIss = ANY;
        matchSub = Matchers.suffix(value.substring(1), false);
      }
    } else if (value.endsWith("*")) {
      if (found) {
        matchIss = Matchers.exact(iss, false);
        matchSub = sub.equals("*") ? ANY : Matchers.prefix(sub.substring(0, sub.length() - 1), false);
      } else {
        matchIss = Matchers.prefix(value.substring(0, value.length() - 1), false);
        matchSub = ANY;
      }
    } else {
      matchIss = Matchers.exact(iss, false);
      matchSub = Matchers.exact(sub, false);
    }
    return Matchers.principalAnd(List.of(metadata("iss", matchIss), metadata("sub", matchSub)));
  }

  private static Principal metadata(String claim, StringMatcher m) {
    return Principal.newBuilder().setMetadata(Matchers.jwtClaim(claim, m)).build();
  }
}
