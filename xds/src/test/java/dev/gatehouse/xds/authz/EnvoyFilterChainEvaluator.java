package dev.gatehouse.xds.authz;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.gatehouse.xds.authn.FailClosedJwks;
import io.envoyproxy.envoy.config.core.v3.CidrRange;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.rbac.v3.Permission;
import io.envoyproxy.envoy.config.rbac.v3.Policy;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
import io.envoyproxy.envoy.config.rbac.v3.RBAC;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthz;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtHeader;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtProvider;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtRequirement;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.path.match.uri_template.v3.UriTemplateMatchConfig;
import io.envoyproxy.envoy.type.matcher.v3.MetadataMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.matcher.v3.ValueMatcher;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A small model of Envoy's inbound security filters, written from Envoy's documented semantics, for decision tests:
 * it walks a generated filter list (RBAC, ext_authz, jwt_authn; HTTP or network) for one request and says whether
 * it is allowed and which filter stopped it. Anything it does not understand fails the test (never "allow").
 */
final class EnvoyFilterChainEvaluator {

  /** What a caller presents. {@code payload} is the token's claims; {@code signedByIssuer} false = bad signature. */
  record Token(String location, Map<String, Object> payload, boolean signedByIssuer) {
    /** A token in "Authorization: Bearer". */
    static Token bearer(Map<String, Object> payload) {
      return new Token("header:authorization:Bearer ", payload, true);
    }
  }

  /** One request (or, with {@code http=false}, one TCP connection). */
  record Request(
      boolean http,
      String method,
      String path,
      String host,
      Map<String, String> headers,
      int port,
      String peerPrincipal,
      String directRemoteIp,
      String remoteIp,
      String destinationIp,
      String sni,
      Token token,
      boolean extAuthzAllows) {

    static Request http(String method, String path) {
      return new Request(true, method, path, "svc.foo", Map.of(), 8080, null, "127.0.0.9", "127.0.0.9",
          "127.0.0.1", "", null, true);
    }

    static Request tcp(int port) {
      return new Request(false, "", "", "", Map.of(), port, null, "127.0.0.9", "127.0.0.9", "127.0.0.1", "",
          null, true);
    }

    Request from(String spiffePrincipal) {
      return new Request(http, method, path, host, headers, port, spiffePrincipal, directRemoteIp, remoteIp,
          destinationIp, sni, token, extAuthzAllows);
    }

    Request port(int p) {
      return new Request(http, method, path, host, headers, p, peerPrincipal, directRemoteIp, remoteIp,
          destinationIp, sni, token, extAuthzAllows);
    }

    Request host(String h) {
      return new Request(http, method, path, h, headers, port, peerPrincipal, directRemoteIp, remoteIp,
          destinationIp, sni, token, extAuthzAllows);
    }

    Request header(String name, String value) {
      Map<String, String> h = new HashMap<>(headers);
      h.put(name.toLowerCase(Locale.ROOT), value);
      return new Request(http, method, path, host, Map.copyOf(h), port, peerPrincipal, directRemoteIp, remoteIp,
          destinationIp, sni, token, extAuthzAllows);
    }

    Request ips(String direct, String remote) {
      return new Request(http, method, path, host, headers, port, peerPrincipal, direct, remote, destinationIp,
          sni, token, extAuthzAllows);
    }

    Request token(Token t) {
      return new Request(http, method, path, host, headers, port, peerPrincipal, directRemoteIp, remoteIp,
          destinationIp, sni, t, extAuthzAllows);
    }

    Request extAuthz(boolean allows) {
      return new Request(http, method, path, host, headers, port, peerPrincipal, directRemoteIp, remoteIp,
          destinationIp, sni, token, allows);
    }
  }

  /** The outcome: allowed, or which filter denied (rbac 403, ext_authz 403, jwt_authn 401). */
  enum Decision {
    ALLOW,
    DENY_RBAC,
    DENY_EXT_AUTHZ,
    REJECT_JWT
  }

  private final Map<String, Map<String, Object>> metadata = new HashMap<>();
  private final Request request;
  private boolean extAuthzCalled;

  private EnvoyFilterChainEvaluator(Request request) {
    this.request = request;
  }

  static Decision evaluateHttp(List<HttpFilter> filters, Request request) {
    EnvoyFilterChainEvaluator e = new EnvoyFilterChainEvaluator(request);
    for (HttpFilter f : filters) {
      Decision d = e.httpFilter(f);
      if (d != Decision.ALLOW) {
        return d;
      }
    }
    return Decision.ALLOW;
  }

  static Decision evaluateTcp(List<Filter> filters, Request request) {
    EnvoyFilterChainEvaluator e = new EnvoyFilterChainEvaluator(request);
    for (Filter f : filters) {
      Decision d = e.networkFilter(f);
      if (d != Decision.ALLOW) {
        return d;
      }
    }
    return Decision.ALLOW;
  }

  private Decision httpFilter(HttpFilter f) {
    Any config = f.getTypedConfig();
    try {
      // Dispatch on the config type, as Envoy and grpc-java do; names are free-form.
      switch (config.getTypeUrl().substring(config.getTypeUrl().lastIndexOf('/') + 1)) {
        case "envoy.extensions.filters.http.rbac.v3.RBAC" -> {
          var rbac = config.unpack(io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.class);
          return rbac(rbac.hasRules() ? rbac.getRules() : null, rbac.hasShadowRules() ? rbac.getShadowRules() : null,
              rbac.getShadowRulesStatPrefix(), "envoy.filters.http.rbac");
        }
        case "envoy.extensions.filters.http.ext_authz.v3.ExtAuthz" -> {
          ExtAuthz ext = config.unpack(ExtAuthz.class);
          return extAuthz(ext.getFilterEnabledMetadata());
        }
        case "envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication" -> {
          return jwt(config.unpack(JwtAuthentication.class));
        }
        default -> throw new AssertionError("evaluator does not know HTTP filter " + f.getName());
      }
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  private Decision networkFilter(Filter f) {
    Any config = f.getTypedConfig();
    try {
      switch (config.getTypeUrl().substring(config.getTypeUrl().lastIndexOf('/') + 1)) {
        case "envoy.extensions.filters.network.rbac.v3.RBAC" -> {
          var rbac = config.unpack(io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC.class);
          if (!rbac.getStatPrefix().equals("tcp.")) {
            throw new AssertionError("network RBAC without stat_prefix tcp.");
          }
          return rbac(rbac.hasRules() ? rbac.getRules() : null, rbac.hasShadowRules() ? rbac.getShadowRules() : null,
              rbac.getShadowRulesStatPrefix(), "envoy.filters.network.rbac");
        }
        case "envoy.extensions.filters.network.ext_authz.v3.ExtAuthz" -> {
          var ext = config.unpack(io.envoyproxy.envoy.extensions.filters.network.ext_authz.v3.ExtAuthz.class);
          return extAuthz(ext.getFilterEnabledMetadata());
        }
        default -> throw new AssertionError("evaluator does not know network filter " + f.getName());
      }
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  boolean extAuthzCalled() {
    return extAuthzCalled;
  }

  // ---- RBAC ----

  private Decision rbac(RBAC rules, RBAC shadow, String shadowPrefix, String filterName) {
    if (shadow != null) {
      String matched = firstMatch(shadow);
      Map<String, Object> md = metadata.computeIfAbsent(filterName, k -> new HashMap<>());
      if (matched != null) {
        md.put(shadowPrefix + "shadow_effective_policy_id", matched);
      }
    }
    if (rules == null) {
      return Decision.ALLOW;
    }
    boolean matched = firstMatch(rules) != null;
    return switch (rules.getAction()) {
      case ALLOW -> matched ? Decision.ALLOW : Decision.DENY_RBAC;
      case DENY -> matched ? Decision.DENY_RBAC : Decision.ALLOW;
      case LOG -> Decision.ALLOW;
      default -> throw new AssertionError("unknown RBAC action " + rules.getAction());
    };
  }

  private String firstMatch(RBAC rbac) {
    List<String> names = new ArrayList<>(rbac.getPoliciesMap().keySet());
    java.util.Collections.sort(names);
    for (String name : names) {
      Policy p = rbac.getPoliciesMap().get(name);
      if (p.hasCondition() || p.hasCheckedCondition()) {
        throw new AssertionError("conditions are not expected");
      }
      boolean perm = p.getPermissionsList().stream().anyMatch(this::permission);
      boolean princ = p.getPrincipalsList().stream().anyMatch(this::principal);
      if (perm && princ) {
        return name;
      }
    }
    return null;
  }

  boolean permission(Permission p) {
    return switch (p.getRuleCase()) {
      case AND_RULES -> p.getAndRules().getRulesList().stream().allMatch(this::permission);
      case OR_RULES -> p.getOrRules().getRulesList().stream().anyMatch(this::permission);
      case NOT_RULE -> !permission(p.getNotRule());
      case ANY -> p.getAny();
      case HEADER -> header(p.getHeader());
      case URL_PATH -> request.http() && string(p.getUrlPath().getPath(), pathWithoutQuery());
      case DESTINATION_IP -> cidr(p.getDestinationIp(), request.destinationIp());
      case DESTINATION_PORT -> p.getDestinationPort() == request.port();
      case REQUESTED_SERVER_NAME -> string(p.getRequestedServerName(), request.sni());
      case METADATA -> metadata(p.getMetadata());
      case URI_TEMPLATE -> request.http() && uriTemplate(p);
      default -> throw new AssertionError("evaluator does not know permission " + p.getRuleCase());
    };
  }

  boolean principal(Principal p) {
    return switch (p.getIdentifierCase()) {
      case AND_IDS -> p.getAndIds().getIdsList().stream().allMatch(this::principal);
      case OR_IDS -> p.getOrIds().getIdsList().stream().anyMatch(this::principal);
      case NOT_ID -> !principal(p.getNotId());
      case ANY -> p.getAny();
      case AUTHENTICATED -> request.peerPrincipal() != null
          && (!p.getAuthenticated().hasPrincipalName()
              || string(p.getAuthenticated().getPrincipalName(), request.peerPrincipal()));
      case DIRECT_REMOTE_IP -> cidr(p.getDirectRemoteIp(), request.directRemoteIp());
      case REMOTE_IP -> cidr(p.getRemoteIp(), request.remoteIp());
      case HEADER -> header(p.getHeader());
      case METADATA -> metadata(p.getMetadata());
      default -> throw new AssertionError("evaluator does not know principal " + p.getIdentifierCase());
    };
  }

  private String pathWithoutQuery() {
    int q = request.path().indexOf('?');
    return q < 0 ? request.path() : request.path().substring(0, q);
  }

  private boolean header(HeaderMatcher h) {
    if (!request.http()) {
      return false ^ h.getInvertMatch(); // no headers on a TCP connection
    }
    String name = h.getName().toLowerCase(Locale.ROOT);
    String value =
        switch (name) {
          case ":method" -> request.method();
          case ":path" -> request.path();
          case ":authority", "host" -> request.host();
          default -> request.headers().get(name);
        };
    boolean result;
    switch (h.getHeaderMatchSpecifierCase()) {
      case PRESENT_MATCH -> result = value != null;
      case STRING_MATCH -> result = value != null && string(h.getStringMatch(), value);
      default -> throw new AssertionError("evaluator does not know header matcher " + h.getHeaderMatchSpecifierCase());
    }
    return result ^ h.getInvertMatch();
  }

  static boolean string(StringMatcher m, String value) {
    if (value == null) {
      return false;
    }
    boolean ic = m.getIgnoreCase();
    String v = ic ? value.toLowerCase(Locale.ROOT) : value;
    return switch (m.getMatchPatternCase()) {
      case EXACT -> v.equals(ic ? m.getExact().toLowerCase(Locale.ROOT) : m.getExact());
      case PREFIX -> v.startsWith(ic ? m.getPrefix().toLowerCase(Locale.ROOT) : m.getPrefix());
      case SUFFIX -> v.endsWith(ic ? m.getSuffix().toLowerCase(Locale.ROOT) : m.getSuffix());
      case CONTAINS -> v.contains(ic ? m.getContains().toLowerCase(Locale.ROOT) : m.getContains());
      case SAFE_REGEX -> Pattern.compile(m.getSafeRegex().getRegex()).matcher(value).matches();
      default -> throw new AssertionError("evaluator does not know string matcher " + m.getMatchPatternCase());
    };
  }

  static boolean cidr(CidrRange range, String ip) {
    try {
      byte[] a = InetAddress.getByName(ip).getAddress();
      byte[] b = InetAddress.getByName(range.getAddressPrefix()).getAddress();
      if (a.length != b.length) {
        return false;
      }
      int bits = range.getPrefixLen().getValue();
      BigInteger x = new BigInteger(1, a).shiftRight(a.length * 8 - bits);
      BigInteger y = new BigInteger(1, b).shiftRight(b.length * 8 - bits);
      return x.equals(y);
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  /** Envoy uri_template: "*" one path segment, "**" zero or more segments (only at the end here). */
  private boolean uriTemplate(Permission p) {
    try {
      String template = p.getUriTemplate().getTypedConfig().unpack(UriTemplateMatchConfig.class).getPathTemplate();
      StringBuilder regex = new StringBuilder();
      for (String seg : template.substring(1).split("/", -1)) {
        if (seg.equals("**")) {
          regex.append("(/.*)?");
        } else {
          regex.append('/').append(seg.equals("*") ? "[^/]+" : Pattern.quote(seg));
        }
      }
      return pathWithoutQuery().matches(regex.toString());
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  private boolean metadata(MetadataMatcher m) {
    Object v = metadata.get(m.getFilter());
    for (MetadataMatcher.PathSegment s : m.getPathList()) {
      if (!(v instanceof Map<?, ?> map)) {
        v = null;
        break;
      }
      v = map.get(s.getKey());
    }
    return value(m.getValue(), v) ^ m.getInvert();
  }

  private static boolean value(ValueMatcher m, Object v) {
    return switch (m.getMatchPatternCase()) {
      case STRING_MATCH -> v instanceof String s && string(m.getStringMatch(), s);
      case PRESENT_MATCH -> v != null;
      case LIST_MATCH -> v instanceof List<?> l && l.stream().anyMatch(e -> value(m.getListMatch().getOneOf(), e));
      case OR_MATCH -> m.getOrMatch().getValueMatchersList().stream().anyMatch(x -> value(x, v));
      default -> throw new AssertionError("evaluator does not know value matcher " + m.getMatchPatternCase());
    };
  }

  // ---- ext_authz ----

  private Decision extAuthz(MetadataMatcher enabled) {
    if (!metadata(enabled)) {
      return Decision.ALLOW;
    }
    extAuthzCalled = true;
    return request.extAuthzAllows() ? Decision.ALLOW : Decision.DENY_EXT_AUTHZ;
  }

  // ---- jwt_authn ----

  private enum JwtStatus {
    OK,
    MISSING,
    FAILED
  }

  private Decision jwt(JwtAuthentication config) {
    if (config.getRulesCount() != 1 || !config.getRules(0).getMatch().getPrefix().equals("/")) {
      throw new AssertionError("expected one rule with prefix /");
    }
    Map<String, JwtStatus> status = new HashMap<>();
    config.getProvidersMap().forEach((name, provider) -> status.put(name, verify(provider)));
    boolean ok = requirement(config.getRules(0).getRequires(), status);
    if (!ok) {
      return Decision.REJECT_JWT;
    }
    config.getProvidersMap().forEach((name, provider) -> {
      if (status.get(name) == JwtStatus.OK) {
        metadata.computeIfAbsent("envoy.filters.http.jwt_authn", k -> new HashMap<>())
            .put(provider.getPayloadInMetadata(), request.token().payload());
      }
    });
    return Decision.ALLOW;
  }

  private JwtStatus verify(JwtProvider p) {
    Token t = request.token();
    if (t == null || !extracts(p, t.location())) {
      return JwtStatus.MISSING;
    }
    if (!t.signedByIssuer()) {
      return JwtStatus.FAILED;
    }
    if (p.hasLocalJwks() && p.getLocalJwks().getInlineString().equals(FailClosedJwks.JSON)) {
      return JwtStatus.FAILED; // nobody holds the private key of the fail-closed key set
    }
    if (!p.getIssuer().isEmpty() && !p.getIssuer().equals(t.payload().get("iss"))) {
      return JwtStatus.FAILED;
    }
    if (p.getAudiencesCount() > 0) {
      Object aud = t.payload().get("aud");
      List<?> auds = aud instanceof List<?> l ? l : aud == null ? List.of() : List.of(aud);
      if (auds.stream().noneMatch(p.getAudiencesList()::contains)) {
        return JwtStatus.FAILED;
      }
    }
    return JwtStatus.OK;
  }

  private static boolean extracts(JwtProvider p, String location) {
    if (location.startsWith("header:")) {
      String[] parts = location.split(":", 3);
      for (JwtHeader h : p.getFromHeadersList()) {
        if (h.getName().equalsIgnoreCase(parts[1]) && h.getValuePrefix().equals(parts[2])) {
          return true;
        }
      }
      return false;
    }
    if (location.startsWith("param:")) {
      return p.getFromParamsList().contains(location.substring(6));
    }
    if (location.startsWith("cookie:")) {
      return p.getFromCookiesList().contains(location.substring(7));
    }
    throw new AssertionError("bad token location " + location);
  }

  /** Envoy: allow_missing accepts only a missing token; a present but invalid one fails. */
  private static boolean requirement(JwtRequirement r, Map<String, JwtStatus> status) {
    return switch (r.getRequiresTypeCase()) {
      case PROVIDER_NAME -> status.get(r.getProviderName()) == JwtStatus.OK;
      case REQUIRES_ANY -> anyOf(r.getRequiresAny().getRequirementsList(), status);
      case REQUIRES_ALL -> r.getRequiresAll().getRequirementsList().stream().allMatch(x -> requirement(x, status));
      default -> throw new AssertionError("evaluator does not know requirement " + r.getRequiresTypeCase());
    };
  }

  private static boolean anyOf(List<JwtRequirement> rs, Map<String, JwtStatus> status) {
    boolean allowMissing = rs.stream().anyMatch(JwtRequirement::hasAllowMissing);
    boolean anyFailed = false;
    for (JwtRequirement r : rs) {
      if (r.hasAllowMissing()) {
        continue;
      }
      if (requirement(r, status)) {
        return true;
      }
      if (r.hasProviderName() && status.get(r.getProviderName()) == JwtStatus.FAILED) {
        anyFailed = true;
      }
      if (!r.hasProviderName()) {
        anyFailed = true;
      }
    }
    return allowMissing && !anyFailed;
  }
}
