package dev.gatehouse.xds.authn;

import com.google.protobuf.Any;
import com.google.protobuf.Empty;
import dev.gatehouse.api.istio.security.v1beta1.ClaimToHeader;
import dev.gatehouse.api.istio.security.v1beta1.JWTHeader;
import dev.gatehouse.api.istio.security.v1beta1.JWTRule;
import dev.gatehouse.xds.TranslationError;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.HttpUri;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwksAsyncFetch;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtClaimToHeader;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtHeader;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtProvider;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtRequirement;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtRequirementAndList;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtRequirementOrList;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.RemoteJwks;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.RequirementRule;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.net.URI;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * RequestAuthentication to {@code envoy.filters.http.jwt_authn} (Istio policy_applier convertToEnvoyJwtConfig):
 * the JWT rules of every applicable policy, merged and sorted by issuer, one provider "origins-<i>" each, and the
 * requirement "a token, if present, must be valid" (requires_any{provider, allow_missing}, or for several
 * providers requires_any{P1, ..., Pn, requires_all{requires_any{Pi, allow_missing}...}}). The verified payload is
 * written to dynamic metadata under "payload" for requestPrincipals and request.auth.claims. Stateless.
 */
public final class JwtAuthenticationBuilder {
  public static final String FILTER_NAME = "envoy.filters.http.jwt_authn";
  public static final String PAYLOAD_IN_METADATA = "payload";
  public static final String BROKEN_PROVIDER = "invalid-request-authentication";
  private static final List<String> DEFAULT_SPACE_DELIMITED_CLAIMS = List.of("permission", "scope");

  /**
   * Inputs besides the policies.
   *
   * @param remoteJwksCluster in remote mode, the cluster through which the proxy fetches a {@code jwksUri}; null when
   *     no cluster reaches it (a host outside the mesh), and then the key set is inlined from {@code jwks} instead
   */
  public record Settings(
      boolean remoteJwks, int clockSkewSeconds, JwksSnapshot jwks, Function<URI, String> remoteJwksCluster) {}

  private JwtAuthenticationBuilder() {}

  /**
   * The jwt_authn filter for the applicable policies, or empty when none applies. {@code errors} receives one error
   * per key set that had to be replaced by {@link FailClosedJwks}.
   */
  public static Optional<HttpFilter> build(
      List<RequestAuthenticationTranslation> policies, Settings settings, Consumer<TranslationError> errors) {
    if (policies.isEmpty()) {
      return Optional.empty();
    }
    List<JwtRuleSource> rules = new ArrayList<>();
    boolean broken = false;
    for (RequestAuthenticationTranslation p : policies) {
      if (p.failed()) {
        broken = true;
      }
      for (JWTRule r : p.rules()) {
        rules.add(new JwtRuleSource(p, r));
      }
    }
    if (rules.isEmpty() && !broken) {
      return Optional.empty(); // Istio: a RequestAuthentication without rules adds no filter.
    }
    rules.sort(Comparator.comparing(s -> s.rule().getIssuer())); // stable: equal issuers keep policy order

    JwtAuthentication.Builder config = JwtAuthentication.newBuilder().setBypassCorsPreflight(true);
    if (broken) {
      // Fail closed: one provider that reads every token location any applicable rule uses and verifies nothing,
      // required whenever a token is present; valid providers are left out so that no token can pass.
      config.putProviders(BROKEN_PROVIDER, brokenProvider(rules, settings));
      config.addRules(rule(requiresAnyOrMissing(BROKEN_PROVIDER)));
      return Optional.of(filter(config.build()));
    }
    List<JwtRequirement> inner = new ArrayList<>();
    List<JwtRequirement> outer = new ArrayList<>();
    for (int i = 0; i < rules.size(); i++) {
      String name = "origins-" + i;
      config.putProviders(name, provider(rules.get(i), settings, errors));
      inner.add(requiresAnyOrMissing(name));
      outer.add(JwtRequirement.newBuilder().setProviderName(name).build());
    }
    if (inner.size() == 1) {
      config.addRules(rule(inner.get(0)));
    } else {
      outer.add(
          JwtRequirement.newBuilder()
              .setRequiresAll(JwtRequirementAndList.newBuilder().addAllRequirements(inner))
              .build());
      config.addRules(
          rule(
              JwtRequirement.newBuilder()
                  .setRequiresAny(JwtRequirementOrList.newBuilder().addAllRequirements(outer))
                  .build()));
    }
    return Optional.of(filter(config.build()));
  }

  private record JwtRuleSource(RequestAuthenticationTranslation policy, JWTRule rule) {}

  private static HttpFilter filter(JwtAuthentication config) {
    return HttpFilter.newBuilder().setName(FILTER_NAME).setTypedConfig(Any.pack(config)).build();
  }

  private static RequirementRule rule(JwtRequirement requires) {
    return RequirementRule.newBuilder().setMatch(RouteMatch.newBuilder().setPrefix("/")).setRequires(requires).build();
  }

  private static JwtRequirement requiresAnyOrMissing(String provider) {
    return JwtRequirement.newBuilder()
        .setRequiresAny(
            JwtRequirementOrList.newBuilder()
                .addRequirements(JwtRequirement.newBuilder().setProviderName(provider))
                .addRequirements(JwtRequirement.newBuilder().setAllowMissing(Empty.getDefaultInstance())))
        .build();
  }

  private static JwtProvider provider(JwtRuleSource source, Settings settings, Consumer<TranslationError> errors) {
    JWTRule r = source.rule();
    JwtProvider.Builder p =
        JwtProvider.newBuilder()
            .setIssuer(r.getIssuer())
            .addAllAudiences(r.getAudiencesList())
            .setForward(r.getForwardOriginalToken())
            .setForwardPayloadHeader(r.getOutputPayloadToHeader())
            .setPayloadInMetadata(PAYLOAD_IN_METADATA)
            .setClockSkewSeconds(settings.clockSkewSeconds());
    tokenLocations(r, p);
    for (ClaimToHeader c : r.getOutputClaimToHeadersList()) {
      p.addClaimToHeaders(JwtClaimToHeader.newBuilder().setHeaderName(c.getHeader()).setClaimName(c.getClaim()));
    }
    Set<String> spaceDelimited = new LinkedHashSet<>(DEFAULT_SPACE_DELIMITED_CLAIMS);
    spaceDelimited.addAll(r.getSpaceDelimitedClaimsList());
    p.setNormalizePayloadInMetadata(
        JwtProvider.NormalizePayload.newBuilder().addAllSpaceDelimitedClaims(spaceDelimited));
    String policy = "RequestAuthentication " + source.policy().key();
    if (!r.getJwks().isEmpty()) {
      Optional<String> problem = JwksDocument.problem(r.getJwks());
      if (problem.isPresent()) {
        errors.accept(
            new TranslationError(policy, "issuer " + r.getIssuer() + ": inline jwks unusable: " + problem.get(),
                "tokens from this issuer are rejected"));
        return p.setLocalJwks(inline(FailClosedJwks.JSON)).build();
      }
      return p.setLocalJwks(inline(r.getJwks())).build();
    }
    if (r.getJwksUri().isEmpty()) {
      // Istio discovers the key set via OpenID discovery on the issuer; Gatehouse needs it named.
      errors.accept(
          new TranslationError(policy, "issuer " + r.getIssuer() + ": neither jwks nor jwksUri is set",
              "tokens from this issuer are rejected"));
      return p.setLocalJwks(inline(FailClosedJwks.JSON)).build();
    }
    URI uri = URI.create(r.getJwksUri());
    String remoteCluster = settings.remoteJwks() ? settings.remoteJwksCluster().apply(uri) : null;
    if (remoteCluster != null) {
      com.google.protobuf.Duration timeout =
          r.hasTimeout() ? r.getTimeout() : com.google.protobuf.Duration.newBuilder().setSeconds(5).build();
      return p.setRemoteJwks(
              RemoteJwks.newBuilder()
                  .setHttpUri(
                      HttpUri.newBuilder()
                          .setUri(r.getJwksUri())
                          .setCluster(remoteCluster)
                          .setTimeout(timeout))
                  .setCacheDuration(com.google.protobuf.Duration.newBuilder().setSeconds(20 * 60))
                  .setAsyncFetch(JwksAsyncFetch.newBuilder()))
          .build();
    }
    Optional<String> fetched = settings.jwks().keySet(r.getJwksUri());
    if (fetched.isEmpty()) {
      errors.accept(
          new TranslationError(policy, "issuer " + r.getIssuer() + ": key set from " + r.getJwksUri()
              + " is not available (not fetched yet, or the fetch failed)", "tokens from this issuer are rejected until it is fetched"));
      return p.setLocalJwks(inline(FailClosedJwks.JSON)).build();
    }
    return p.setLocalJwks(inline(fetched.get())).build();
  }

  /** Istio's token locations; none given means Envoy's defaults, written out: Authorization: Bearer, access_token. */
  private static void tokenLocations(JWTRule r, JwtProvider.Builder p) {
    if (r.getFromHeadersCount() == 0 && r.getFromParamsCount() == 0 && r.getFromCookiesCount() == 0) {
      p.addFromHeaders(JwtHeader.newBuilder().setName("Authorization").setValuePrefix("Bearer "));
      p.addFromParams("access_token");
      return;
    }
    for (JWTHeader h : r.getFromHeadersList()) {
      p.addFromHeaders(JwtHeader.newBuilder().setName(h.getName()).setValuePrefix(h.getPrefix()));
    }
    p.addAllFromParams(r.getFromParamsList());
    p.addAllFromCookies(r.getFromCookiesList());
  }

  private static JwtProvider brokenProvider(List<JwtRuleSource> rules, Settings settings) {
    JwtProvider.Builder p =
        JwtProvider.newBuilder()
            .setPayloadInMetadata(PAYLOAD_IN_METADATA)
            .setClockSkewSeconds(settings.clockSkewSeconds())
            .setLocalJwks(inline(FailClosedJwks.JSON));
    Set<String> headers = new LinkedHashSet<>();
    Set<String> params = new LinkedHashSet<>();
    Set<String> cookies = new LinkedHashSet<>();
    List<JwtHeader> fromHeaders = new ArrayList<>();
    JwtProvider.Builder defaults = JwtProvider.newBuilder();
    tokenLocations(JWTRule.getDefaultInstance(), defaults);
    List<JwtProvider.Builder> all = new ArrayList<>();
    all.add(defaults);
    for (JwtRuleSource s : rules) {
      JwtProvider.Builder b = JwtProvider.newBuilder();
      tokenLocations(s.rule(), b);
      all.add(b);
    }
    for (JwtProvider.Builder b : all) {
      for (JwtHeader h : b.getFromHeadersList()) {
        if (headers.add(h.getName().toLowerCase(java.util.Locale.ROOT) + "\u0000" + h.getValuePrefix())) {
          fromHeaders.add(h);
        }
      }
      params.addAll(b.getFromParamsList());
      cookies.addAll(b.getFromCookiesList());
    }
    return p.addAllFromHeaders(fromHeaders).addAllFromParams(params).addAllFromCookies(cookies).build();
  }

  private static DataSource inline(String json) {
    return DataSource.newBuilder().setInlineString(json).build();
  }
}
