package dev.gatehouse.xds.dataplane;

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
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A model of Envoy's inbound security filters, written from Envoy's documented semantics: it walks a generated filter
 * list (RBAC, ext_authz, jwt_authn; HTTP or network) for one request and says whether it is allowed, which filter
 * stopped it and which RBAC policy matched in each filter. Anything it does not understand raises
 * {@link NotEvaluable} (never "allow").
 *
 * <p>RBAC: policies are tried in name order and the first whose permissions and principals both match decides (Envoy
 * keeps them in a sorted map, and reports that name as the effective policy id). ALLOW denies when nothing matched,
 * DENY denies when something did, LOG never changes the decision; {@code shadow_rules} only record what they would
 * have matched. ext_authz runs only when its {@code filter_enabled_metadata} matches what the filters before it wrote.
 * jwt_authn: a present but invalid token fails even where a missing one would be allowed.
 *
 * <p>Not thread-safe per evaluation; the static entry points create one evaluation per call.
 */
public final class EnvoyFilterChainEvaluator {

  /** What a caller presents. {@code payload} is the token's claims; {@code signedByIssuer} false = bad signature. */
  public record Token(String location, Map<String, Object> payload, boolean signedByIssuer) {
    public Token {
      Objects.requireNonNull(location, "location");
      payload = payload == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(payload));
    }

    /** A token in "Authorization: Bearer". */
    public static Token bearer(Map<String, Object> payload) {
      return new Token("header:authorization:Bearer ", payload, true);
    }
  }

  /**
   * One request (or, with {@code http=false}, one TCP connection). {@code peerPrincipal} is the URI SAN of the
   * client certificate when the connection is mTLS-terminated by this proxy, else null. {@code filterMetadata} is the
   * dynamic metadata filters before the security filters wrote (e.g. {@code envoy.filters.network.mysql_proxy}), by
   * filter name.
   */
  public record Request(
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
      boolean extAuthzAllows,
      Map<String, Map<String, Object>> filterMetadata) {

    public Request {
      headers = headers == null ? Map.of() : Map.copyOf(headers);
      filterMetadata = filterMetadata == null ? Map.of() : Map.copyOf(filterMetadata);
    }

    public static Request http(String method, String path) {
      return new Request(true, method, path, "svc.foo", Map.of(), 8080, null, "127.0.0.9", "127.0.0.9",
          "127.0.0.1", "", null, true, Map.of());
    }

    public static Request tcp(int port) {
      return new Request(false, "", "", "", Map.of(), port, null, "127.0.0.9", "127.0.0.9", "127.0.0.1", "",
          null, true, Map.of());
    }

    public Request from(String spiffePrincipal) {
      return new Request(http, method, path, host, headers, port, spiffePrincipal, directRemoteIp, remoteIp,
          destinationIp, sni, token, extAuthzAllows, filterMetadata);
    }

    public Request port(int p) {
      return new Request(http, method, path, host, headers, p, peerPrincipal, directRemoteIp, remoteIp,
          destinationIp, sni, token, extAuthzAllows, filterMetadata);
    }

    public Request host(String h) {
      return new Request(http, method, path, h, headers, port, peerPrincipal, directRemoteIp, remoteIp,
          destinationIp, sni, token, extAuthzAllows, filterMetadata);
    }

    public Request header(String name, String value) {
      Map<String, String> h = new HashMap<>(headers);
      h.put(name.toLowerCase(Locale.ROOT), value);
      return new Request(http, method, path, host, Map.copyOf(h), port, peerPrincipal, directRemoteIp, remoteIp,
          destinationIp, sni, token, extAuthzAllows, filterMetadata);
    }

    public Request ips(String direct, String remote) {
      return new Request(http, method, path, host, headers, port, peerPrincipal, direct, remote, destinationIp,
          sni, token, extAuthzAllows, filterMetadata);
    }

    public Request destination(String ip) {
      return new Request(http, method, path, host, headers, port, peerPrincipal, directRemoteIp, remoteIp, ip,
          sni, token, extAuthzAllows, filterMetadata);
    }

    public Request token(Token t) {
      return new Request(http, method, path, host, headers, port, peerPrincipal, directRemoteIp, remoteIp,
          destinationIp, sni, t, extAuthzAllows, filterMetadata);
    }

    public Request extAuthz(boolean allows) {
      return new Request(http, method, path, host, headers, port, peerPrincipal, directRemoteIp, remoteIp,
          destinationIp, sni, token, allows, filterMetadata);
    }

    /** Dynamic metadata {@code key: value} written by {@code filter} before the security filters ran. */
    public Request filterMetadata(String filter, String key, Object value) {
      Map<String, Map<String, Object>> m = new HashMap<>(filterMetadata);
      Map<String, Object> f = new HashMap<>(m.getOrDefault(filter, Map.of()));
      f.put(key, value);
      m.put(filter, Map.copyOf(f));
      return new Request(http, method, path, host, headers, port, peerPrincipal, directRemoteIp, remoteIp,
          destinationIp, sni, token, extAuthzAllows, Map.copyOf(m));
    }
  }

  /** The outcome: allowed, or which filter denied (rbac 403, ext_authz 403, jwt_authn 401). */
  public enum Decision {
    ALLOW,
    DENY_RBAC,
    DENY_EXT_AUTHZ,
    REJECT_JWT
  }

  /**
   * What one filter did.
   *
   * @param filter the filter's name in the config
   * @param type {@code rbac}, {@code ext_authz}, {@code jwt_authn}, {@code router} or {@code tcp_proxy}
   * @param action the enforced RBAC action (ALLOW, DENY, LOG), empty when the filter has no enforced rules
   * @param policies the enforced RBAC policy names, in evaluation (name) order
   * @param matchedPolicy the first enforced policy that matched, empty when none
   * @param shadowAction the shadow (dry-run or CUSTOM) rules' action, empty when there are none
   * @param shadowMatchedPolicy the first shadow policy that matched, empty when none
   * @param decision what this filter decided (ALLOW = passed on to the next filter)
   * @param detail for ext_authz the provider's cluster, for jwt_authn each provider's token status
   */
  public record FilterOutcome(
      String filter,
      String type,
      String action,
      List<String> policies,
      String matchedPolicy,
      String shadowAction,
      String shadowMatchedPolicy,
      Decision decision,
      String detail) {
    public FilterOutcome {
      policies = List.copyOf(policies);
    }
  }

  /**
   * A walked filter chain: the decision, and every filter up to the one that decided.
   *
   * @param extAuthzCalled true when an ext_authz filter was asked (the decision then rests on its answer, which the
   *     request's {@code extAuthzAllows} stands in for)
   */
  public record Result(Decision decision, List<FilterOutcome> filters, boolean extAuthzCalled) {
    public Result {
      filters = List.copyOf(filters);
    }

    /** The filter that decided: the denying one, else the last one walked; empty for an empty chain. */
    public java.util.Optional<FilterOutcome> decidingFilter() {
      for (FilterOutcome f : filters) {
        if (f.decision() != Decision.ALLOW) {
          return java.util.Optional.of(f);
        }
      }
      return filters.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(filters.get(filters.size() - 1));
    }
  }

  private static final String ROUTER = "envoy.extensions.filters.http.router.v3.Router";
  private static final String TCP_PROXY = "envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy";

  private final Map<String, Map<String, Object>> metadata = new HashMap<>();
  private final Request request;
  private final List<FilterOutcome> outcomes = new ArrayList<>();
  private boolean extAuthzCalled;

  private EnvoyFilterChainEvaluator(Request request) {
    this.request = request;
    request.filterMetadata().forEach((filter, values) -> metadata.put(filter, new HashMap<>(values)));
  }

  public static Decision evaluateHttp(List<HttpFilter> filters, Request request) {
    return traceHttp(filters, request).decision();
  }

  public static Decision evaluateTcp(List<Filter> filters, Request request) {
    return traceTcp(filters, request).decision();
  }

  /** Walks HTTP filters up to the router (or the first that denies). */
  public static Result traceHttp(List<HttpFilter> filters, Request request) {
    EnvoyFilterChainEvaluator e = new EnvoyFilterChainEvaluator(request);
    for (HttpFilter f : filters) {
      if (typeName(f.getTypedConfig()).equals(ROUTER)) {
        e.outcomes.add(terminal(f.getName(), "router"));
        break;
      }
      Decision d = e.httpFilter(f);
      if (d != Decision.ALLOW) {
        return new Result(d, e.outcomes, e.extAuthzCalled);
      }
    }
    return new Result(Decision.ALLOW, e.outcomes, e.extAuthzCalled);
  }

  /** Walks network filters up to tcp_proxy (or the first that denies). */
  public static Result traceTcp(List<Filter> filters, Request request) {
    EnvoyFilterChainEvaluator e = new EnvoyFilterChainEvaluator(request);
    for (Filter f : filters) {
      if (typeName(f.getTypedConfig()).equals(TCP_PROXY)) {
        e.outcomes.add(terminal(f.getName(), "tcp_proxy"));
        break;
      }
      Decision d = e.networkFilter(f);
      if (d != Decision.ALLOW) {
        return new Result(d, e.outcomes, e.extAuthzCalled);
      }
    }
    return new Result(Decision.ALLOW, e.outcomes, e.extAuthzCalled);
  }

  private static FilterOutcome terminal(String name, String type) {
    return new FilterOutcome(name, type, "", List.of(), "", "", "", Decision.ALLOW, "");
  }

  static String typeName(Any config) {
    return config.getTypeUrl().substring(config.getTypeUrl().lastIndexOf('/') + 1);
  }

  private Decision httpFilter(HttpFilter f) {
    Any config = f.getTypedConfig();
    try {
      // Dispatch on the config type, as Envoy and grpc-java do; names are free-form.
      switch (typeName(config)) {
        case "envoy.extensions.filters.http.rbac.v3.RBAC" -> {
          var rbac = config.unpack(io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.class);
          return rbac(f.getName(), rbac.hasRules() ? rbac.getRules() : null,
              rbac.hasShadowRules() ? rbac.getShadowRules() : null, rbac.getShadowRulesStatPrefix(),
              "envoy.filters.http.rbac");
        }
        case "envoy.extensions.filters.http.ext_authz.v3.ExtAuthz" -> {
          ExtAuthz ext = config.unpack(ExtAuthz.class);
          String cluster = ext.hasGrpcService() ? ext.getGrpcService().getEnvoyGrpc().getClusterName()
              : ext.getHttpService().getServerUri().getCluster();
          return extAuthz(f.getName(), ext.getFilterEnabledMetadata(), cluster);
        }
        case "envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication" -> {
          return jwt(f.getName(), config.unpack(JwtAuthentication.class));
        }
        default -> throw new NotEvaluable("the evaluator does not know HTTP filter " + f.getName() + " ("
            + typeName(config) + ")");
      }
    } catch (InvalidProtocolBufferException e) {
      throw new NotEvaluable("HTTP filter " + f.getName() + " does not unpack", e);
    }
  }

  private Decision networkFilter(Filter f) {
    Any config = f.getTypedConfig();
    try {
      switch (typeName(config)) {
        case "envoy.extensions.filters.network.rbac.v3.RBAC" -> {
          var rbac = config.unpack(io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC.class);
          if (!rbac.getStatPrefix().equals("tcp.")) {
            throw new NotEvaluable("network RBAC without stat_prefix tcp.");
          }
          return rbac(f.getName(), rbac.hasRules() ? rbac.getRules() : null,
              rbac.hasShadowRules() ? rbac.getShadowRules() : null, rbac.getShadowRulesStatPrefix(),
              "envoy.filters.network.rbac");
        }
        case "envoy.extensions.filters.network.ext_authz.v3.ExtAuthz" -> {
          var ext = config.unpack(io.envoyproxy.envoy.extensions.filters.network.ext_authz.v3.ExtAuthz.class);
          return extAuthz(f.getName(), ext.getFilterEnabledMetadata(), ext.getGrpcService().getEnvoyGrpc().getClusterName());
        }
        default -> throw new NotEvaluable("the evaluator does not know network filter " + f.getName() + " ("
            + typeName(config) + ")");
      }
    } catch (InvalidProtocolBufferException e) {
      throw new NotEvaluable("network filter " + f.getName() + " does not unpack", e);
    }
  }

  // ---- RBAC ----

  private Decision rbac(String name, RBAC rules, RBAC shadow, String shadowPrefix, String filterName) {
    String shadowMatched = "";
    if (shadow != null) {
      shadowMatched = firstMatch(shadow);
      Map<String, Object> md = metadata.computeIfAbsent(filterName, k -> new HashMap<>());
      if (!shadowMatched.isEmpty()) {
        md.put(shadowPrefix + "shadow_effective_policy_id", shadowMatched);
      }
    }
    String shadowAction = shadow == null ? "" : shadow.getAction().name();
    if (rules == null) {
      outcomes.add(new FilterOutcome(name, "rbac", "", List.of(), "", shadowAction, shadowMatched, Decision.ALLOW, ""));
      return Decision.ALLOW;
    }
    String matched = firstMatch(rules);
    boolean hit = !matched.isEmpty();
    Decision d = switch (rules.getAction()) {
      case ALLOW -> hit ? Decision.ALLOW : Decision.DENY_RBAC;
      case DENY -> hit ? Decision.DENY_RBAC : Decision.ALLOW;
      case LOG -> Decision.ALLOW;
      default -> throw new NotEvaluable("unknown RBAC action " + rules.getAction());
    };
    outcomes.add(new FilterOutcome(name, "rbac", rules.getAction().name(), sortedNames(rules), matched, shadowAction,
        shadowMatched, d, ""));
    return d;
  }

  private static List<String> sortedNames(RBAC rbac) {
    List<String> names = new ArrayList<>(rbac.getPoliciesMap().keySet());
    Collections.sort(names);
    return names;
  }

  private String firstMatch(RBAC rbac) {
    for (String name : sortedNames(rbac)) {
      Policy p = rbac.getPoliciesMap().get(name);
      if (p.hasCondition() || p.hasCheckedCondition()) {
        throw new NotEvaluable("RBAC policy " + name + " has a CEL condition, which the evaluator does not model");
      }
      boolean perm = p.getPermissionsList().stream().anyMatch(this::permission);
      boolean princ = p.getPrincipalsList().stream().anyMatch(this::principal);
      if (perm && princ) {
        return name;
      }
    }
    return "";
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
      default -> throw new NotEvaluable("the evaluator does not know RBAC permission " + p.getRuleCase());
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
      default -> throw new NotEvaluable("the evaluator does not know RBAC principal " + p.getIdentifierCase());
    };
  }

  private String pathWithoutQuery() {
    int q = request.path().indexOf('?');
    return q < 0 ? request.path() : request.path().substring(0, q);
  }

  private boolean header(HeaderMatcher h) {
    if (!request.http()) {
      return h.getInvertMatch(); // no headers on a TCP connection
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
      default -> throw new NotEvaluable("the evaluator does not know header matcher " + h.getHeaderMatchSpecifierCase());
    }
    return result ^ h.getInvertMatch();
  }

  /** Envoy's StringMatcher on one value (null never matches). */
  public static boolean string(StringMatcher m, String value) {
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
      default -> throw new NotEvaluable("the evaluator does not know string matcher " + m.getMatchPatternCase());
    };
  }

  static boolean cidr(CidrRange range, String ip) {
    if (ip == null || ip.isEmpty()) {
      return false;
    }
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
      throw new NotEvaluable("not an IP address: " + ip + " / " + range.getAddressPrefix(), e);
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
      throw new NotEvaluable("uri_template does not unpack", e);
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
      default -> throw new NotEvaluable("the evaluator does not know value matcher " + m.getMatchPatternCase());
    };
  }

  // ---- ext_authz ----

  private Decision extAuthz(String name, MetadataMatcher enabled, String cluster) {
    if (!metadata(enabled)) {
      outcomes.add(new FilterOutcome(name, "ext_authz", "", List.of(), "", "", "", Decision.ALLOW,
          "not asked: no CUSTOM rule matched"));
      return Decision.ALLOW;
    }
    extAuthzCalled = true;
    Decision d = request.extAuthzAllows() ? Decision.ALLOW : Decision.DENY_EXT_AUTHZ;
    outcomes.add(new FilterOutcome(name, "ext_authz", "", List.of(), "", "", "", d, "asked " + cluster));
    return d;
  }

  // ---- jwt_authn ----

  private enum JwtStatus {
    OK,
    MISSING,
    FAILED
  }

  private Decision jwt(String name, JwtAuthentication config) {
    if (config.getRulesCount() != 1 || !config.getRules(0).getMatch().getPrefix().equals("/")) {
      throw new NotEvaluable("jwt_authn: expected one rule with prefix /");
    }
    Map<String, JwtStatus> status = new TreeMap<>();
    Map<String, String> why = new TreeMap<>();
    config.getProvidersMap().forEach((provider, p) -> status.put(provider, verify(p, provider, why)));
    boolean ok = requirement(config.getRules(0).getRequires(), status);
    StringBuilder detail = new StringBuilder();
    why.forEach((provider, reason) -> detail.append(detail.length() == 0 ? "" : "; ").append(provider).append(": ")
        .append(reason));
    Decision d = ok ? Decision.ALLOW : Decision.REJECT_JWT;
    outcomes.add(new FilterOutcome(name, "jwt_authn", "", List.of(), "", "", "", d, detail.toString()));
    if (!ok) {
      return d;
    }
    config.getProvidersMap().forEach((provider, p) -> {
      if (status.get(provider) == JwtStatus.OK) {
        metadata.computeIfAbsent("envoy.filters.http.jwt_authn", k -> new HashMap<>())
            .put(p.getPayloadInMetadata(), request.token().payload());
      }
    });
    return d;
  }

  private JwtStatus verify(JwtProvider p, String provider, Map<String, String> why) {
    Token t = request.token();
    if (t == null || !extracts(p, t.location())) {
      why.put(provider, "no token where issuer " + p.getIssuer() + " is read from");
      return JwtStatus.MISSING;
    }
    if (!t.signedByIssuer()) {
      why.put(provider, "signature does not verify");
      return JwtStatus.FAILED;
    }
    if (p.hasLocalJwks() && p.getLocalJwks().getInlineString().equals(FailClosedJwks.JSON)) {
      // Nobody holds the private key of the fail-closed key set.
      why.put(provider, "issuer " + p.getIssuer() + " has no usable key set (fail closed)");
      return JwtStatus.FAILED;
    }
    if (!p.getIssuer().isEmpty() && !p.getIssuer().equals(t.payload().get("iss"))) {
      why.put(provider, "iss is not " + p.getIssuer());
      return JwtStatus.FAILED;
    }
    if (p.getAudiencesCount() > 0) {
      Object aud = t.payload().get("aud");
      List<?> auds = aud instanceof List<?> l ? l : aud == null ? List.of() : List.of(aud);
      if (auds.stream().noneMatch(p.getAudiencesList()::contains)) {
        why.put(provider, "aud is not one of " + p.getAudiencesList());
        return JwtStatus.FAILED;
      }
    }
    why.put(provider, "valid token from " + p.getIssuer());
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
    throw new NotEvaluable("bad token location " + location);
  }

  /** Envoy: allow_missing accepts only a missing token; a present but invalid one fails. */
  private static boolean requirement(JwtRequirement r, Map<String, JwtStatus> status) {
    return switch (r.getRequiresTypeCase()) {
      case PROVIDER_NAME -> status.get(r.getProviderName()) == JwtStatus.OK;
      case REQUIRES_ANY -> anyOf(r.getRequiresAny().getRequirementsList(), status);
      case REQUIRES_ALL -> r.getRequiresAll().getRequirementsList().stream().allMatch(x -> requirement(x, status));
      default -> throw new NotEvaluable("the evaluator does not know JWT requirement " + r.getRequiresTypeCase());
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
