package dev.gatehouse.xds.authz;

import io.envoyproxy.envoy.config.rbac.v3.Permission;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.type.matcher.v3.ListMatcher;
import io.envoyproxy.envoy.type.matcher.v3.MetadataMatcher;
import io.envoyproxy.envoy.type.matcher.v3.OrMatcher;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.matcher.v3.ValueMatcher;
import java.util.ArrayList;
import java.util.List;

/**
 * Istio's value matching (pilot/pkg/security/authz/matcher): "*" is presence (regex ".+"), "x*" a prefix, "*x" a
 * suffix, anything else exact. Also the RBAC set combinators. Stateless.
 */
final class Matchers {
  static final String JWT_FILTER = "envoy.filters.http.jwt_authn";
  static final String JWT_PAYLOAD = "payload";

  private Matchers() {}

  static StringMatcher string(String v) {
    return withPrefix(v, "");
  }

  /** Istio StringMatcherWithPrefix: the prefix is ignored for "*". */
  static StringMatcher withPrefix(String v, String prefix) {
    if (v.equals("*")) {
      return regex(".+");
    }
    if (v.startsWith("*")) {
      if (prefix.isEmpty()) {
        return suffix(v.substring(1), false);
      }
      return regex(quote(prefix) + ".*" + quote(v.substring(1)));
    }
    if (v.endsWith("*")) {
      return prefix(prefix + v.substring(0, v.length() - 1), false);
    }
    return exact(prefix + v, false);
  }

  static StringMatcher exact(String v, boolean ignoreCase) {
    return StringMatcher.newBuilder().setExact(v).setIgnoreCase(ignoreCase).build();
  }

  static StringMatcher prefix(String v, boolean ignoreCase) {
    return StringMatcher.newBuilder().setPrefix(v).setIgnoreCase(ignoreCase).build();
  }

  static StringMatcher suffix(String v, boolean ignoreCase) {
    return StringMatcher.newBuilder().setSuffix(v).setIgnoreCase(ignoreCase).build();
  }

  static StringMatcher regex(String regex) {
    return StringMatcher.newBuilder().setSafeRegex(RegexMatcher.newBuilder().setRegex(regex)).build();
  }

  /** RE2 quoting of a literal (Go's regexp.QuoteMeta): escapes every RE2 metacharacter. */
  static String quote(String literal) {
    StringBuilder b = new StringBuilder(literal.length() + 8);
    for (int i = 0; i < literal.length(); i++) {
      char c = literal.charAt(i);
      if ("\\.+*?()|[]{}^$".indexOf(c) >= 0) {
        b.append('\\');
      }
      b.append(c);
    }
    return b.toString();
  }

  /** Istio HeaderMatcher: presence for "*", else string_match with prefix/suffix/exact. */
  static HeaderMatcher header(String name, String v) {
    HeaderMatcher.Builder h = HeaderMatcher.newBuilder().setName(name);
    if (v.equals("*")) {
      return h.setPresentMatch(true).build();
    }
    if (v.startsWith("*")) {
      return h.setStringMatch(suffix(v.substring(1), false)).build();
    }
    if (v.endsWith("*")) {
      return h.setStringMatch(prefix(v.substring(0, v.length() - 1), false)).build();
    }
    return h.setStringMatch(exact(v, false)).build();
  }

  /**
   * {@link #header} for the chain: on proxyless gRPC the header matcher's older oneof fields ({@code exact_match},
   * {@code prefix_match}, {@code suffix_match}, {@code safe_regex_match}) instead of {@code string_match}. gRPC
   * C-core's RBAC filter (1.51, Debian's python3-grpcio) NACKs a Listener whose HeaderMatcher uses
   * {@code string_match} ("invalid route header matcher specified"); grpc-java and C-core both parse the older
   * fields, which Envoy's sidecar chains keep in Istio's {@code string_match} form.
   */
  static HeaderMatcher header(String name, String v, ChainTarget target) {
    return target.proxyless() ? grpcHeader(header(name, v)) : header(name, v);
  }

  /** {@link #host} for the chain; see {@link #header(String, String, ChainTarget)}. */
  static HeaderMatcher host(String name, String v, ChainTarget target) {
    return target.proxyless() ? grpcHeader(host(name, v)) : host(name, v);
  }

  /** The same match without {@code string_match}; case-insensitive matches become an RE2 {@code (?i)} regex. */
  static HeaderMatcher grpcHeader(HeaderMatcher h) {
    if (!h.hasStringMatch()) {
      return h;
    }
    StringMatcher m = h.getStringMatch();
    HeaderMatcher.Builder b = h.toBuilder().clearStringMatch();
    if (m.getIgnoreCase()) {
      String literal = switch (m.getMatchPatternCase()) {
        case EXACT -> "^" + quote(m.getExact()) + "$";
        case PREFIX -> "^" + quote(m.getPrefix()) + ".*";
        case SUFFIX -> ".*" + quote(m.getSuffix()) + "$";
        default -> null;
      };
      if (literal == null) {
        return h;
      }
      return b.setSafeRegexMatch(io.envoyproxy.envoy.type.matcher.v3.RegexMatcher.newBuilder()
          .setRegex("(?i)" + literal)).build();
    }
    return switch (m.getMatchPatternCase()) {
      case EXACT -> b.setExactMatch(m.getExact()).build();
      case PREFIX -> b.setPrefixMatch(m.getPrefix()).build();
      case SUFFIX -> b.setSuffixMatch(m.getSuffix()).build();
      case CONTAINS -> b.setContainsMatch(m.getContains()).build();
      case SAFE_REGEX -> b.setSafeRegexMatch(m.getSafeRegex()).build();
      default -> h;
    };
  }

  /** Istio HostMatcher: like {@link #header} but case-insensitive, since hosts are. */
  static HeaderMatcher host(String name, String v) {
    HeaderMatcher.Builder h = HeaderMatcher.newBuilder().setName(name);
    if (v.equals("*")) {
      return h.setPresentMatch(true).build();
    }
    if (v.startsWith("*")) {
      return h.setStringMatch(suffix(v.substring(1), true)).build();
    }
    if (v.endsWith("*")) {
      return h.setStringMatch(prefix(v.substring(0, v.length() - 1), true)).build();
    }
    return h.setStringMatch(exact(v, true)).build();
  }

  /** A string claim of the verified JWT payload, e.g. iss or sub. */
  static MetadataMatcher jwtClaim(String claim, StringMatcher m) {
    return metadata(JWT_FILTER, List.of(JWT_PAYLOAD, claim), ValueMatcher.newBuilder().setStringMatch(m).build());
  }

  /**
   * A JWT claim (nested path) that is either a string matching one of {@code values} or a list containing one
   * (Istio's MetadataListValueMatcher with useExtendedJwt).
   */
  static MetadataMatcher jwtClaimListOrString(List<String> claimPath, List<String> values) {
    ValueMatcher or = stringOr(values);
    ValueMatcher list =
        ValueMatcher.newBuilder().setListMatch(ListMatcher.newBuilder().setOneOf(or)).build();
    ValueMatcher either =
        ValueMatcher.newBuilder()
            .setOrMatch(OrMatcher.newBuilder().addValueMatchers(list).addValueMatchers(or))
            .build();
    List<String> path = new ArrayList<>();
    path.add(JWT_PAYLOAD);
    path.addAll(claimPath);
    return metadata(JWT_FILTER, path, either);
  }

  /** Istio StringOrMatcher: one string matcher, or an or_match of several. */
  static ValueMatcher stringOr(List<String> values) {
    List<ValueMatcher> ms = new ArrayList<>();
    for (String v : values) {
      ms.add(ValueMatcher.newBuilder().setStringMatch(string(v)).build());
    }
    if (ms.size() == 1) {
      return ms.get(0);
    }
    return ValueMatcher.newBuilder().setOrMatch(OrMatcher.newBuilder().addAllValueMatchers(ms)).build();
  }

  static MetadataMatcher metadata(String filter, List<String> path, ValueMatcher value) {
    MetadataMatcher.Builder m = MetadataMatcher.newBuilder().setFilter(filter).setValue(value);
    for (String key : path) {
      m.addPath(MetadataMatcher.PathSegment.newBuilder().setKey(key));
    }
    return m.build();
  }

  static ValueMatcher listOneOf(ValueMatcher element) {
    return ValueMatcher.newBuilder().setListMatch(ListMatcher.newBuilder().setOneOf(element)).build();
  }

  static Principal principalAny() {
    return Principal.newBuilder().setAny(true).build();
  }

  static Permission permissionAny() {
    return Permission.newBuilder().setAny(true).build();
  }

  static Principal principalOr(List<Principal> ps) {
    return Principal.newBuilder().setOrIds(Principal.Set.newBuilder().addAllIds(ps)).build();
  }

  static Principal principalAnd(List<Principal> ps) {
    return Principal.newBuilder().setAndIds(Principal.Set.newBuilder().addAllIds(ps)).build();
  }

  static Principal principalNot(Principal p) {
    return Principal.newBuilder().setNotId(p).build();
  }

  static Permission permissionOr(List<Permission> ps) {
    return Permission.newBuilder().setOrRules(Permission.Set.newBuilder().addAllRules(ps)).build();
  }

  static Permission permissionAnd(List<Permission> ps) {
    return Permission.newBuilder().setAndRules(Permission.Set.newBuilder().addAllRules(ps)).build();
  }

  static Permission permissionNot(Permission p) {
    return Permission.newBuilder().setNotRule(p).build();
  }

  static Principal authenticated(StringMatcher m) {
    return Principal.newBuilder()
        .setAuthenticated(Principal.Authenticated.newBuilder().setPrincipalName(m))
        .build();
  }
}
