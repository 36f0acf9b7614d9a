package dev.gatehouse.xds.authn;

import dev.gatehouse.api.istio.security.v1beta1.JWTRule;
import dev.gatehouse.api.istio.security.v1beta1.RequestAuthentication;
import dev.gatehouse.api.istio.type.v1beta1.PolicyTargetReference;
import dev.gatehouse.model.InvalidPolicy;
import dev.gatehouse.model.ObjectKey;
import dev.gatehouse.model.Policy;
import dev.gatehouse.xds.TranslationError;
import dev.gatehouse.xds.authz.PolicyAttachment;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One RequestAuthentication as translation needs it: scope, JWT rules, or the reason it cannot be used. A broken
 * one (did not parse, or a rule without issuer or with an unusable jwksUri) makes every token presented to the
 * workloads it selects fail. Immutable.
 */
public final class RequestAuthenticationTranslation {
  private final ObjectKey key;
  private final Map<String, String> selector;
  private final List<PolicyTargetReference> targetRefs;
  private final List<JWTRule> rules;
  private final Optional<TranslationError> failure;

  private RequestAuthenticationTranslation(
      ObjectKey key,
      Map<String, String> selector,
      List<PolicyTargetReference> targetRefs,
      List<JWTRule> rules,
      Optional<TranslationError> failure) {
    this.key = key;
    this.selector = Map.copyOf(selector);
    this.targetRefs = List.copyOf(targetRefs);
    this.rules = List.copyOf(rules);
    this.failure = failure;
  }

  public static RequestAuthenticationTranslation of(Policy<RequestAuthentication> policy) {
    RequestAuthentication spec = policy.spec();
    Map<String, String> selector = spec.hasSelector() ? spec.getSelector().getMatchLabelsMap() : Map.of();
    List<PolicyTargetReference> refs =
        PolicyAttachment.targetRefs(spec.getTargetRef(), spec.getTargetRefsList(), spec.hasTargetRef());
    String problem = null;
    for (int i = 0; i < spec.getJwtRulesCount() && problem == null; i++) {
      problem = problem(spec.getJwtRules(i));
      if (problem != null) {
        problem = "jwtRules[" + i + "]: " + problem;
      }
    }
    if (problem != null) {
      return new RequestAuthenticationTranslation(
          policy.key(), selector, refs, List.of(), Optional.of(error(policy.key(), problem)));
    }
    return new RequestAuthenticationTranslation(policy.key(), selector, refs, spec.getJwtRulesList(), Optional.empty());
  }

  public static RequestAuthenticationTranslation ofInvalid(InvalidPolicy invalid) {
    return new RequestAuthenticationTranslation(
        invalid.key(),
        invalid.selector().orElse(Map.of()),
        List.of(),
        List.of(),
        Optional.of(error(invalid.key(), "did not parse: " + invalid.reason())));
  }

  private static TranslationError error(ObjectKey key, String message) {
    return new TranslationError(
        "RequestAuthentication " + key,
        message,
        "every request carrying a token to the workloads it selects is rejected (401)");
  }

  private static String problem(JWTRule rule) {
    if (rule.getIssuer().isEmpty()) {
      return "issuer is required";
    }
    if (!rule.getJwksUri().isEmpty()) {
      try {
        URI uri = new URI(rule.getJwksUri());
        if (!"http".equalsIgnoreCase(uri.getScheme()) && !"https".equalsIgnoreCase(uri.getScheme())
            || uri.getHost() == null) {
          return "jwksUri must be an http(s) URL with a host: " + rule.getJwksUri();
        }
      } catch (java.net.URISyntaxException e) {
        return "jwksUri is not a URI: " + rule.getJwksUri();
      }
    }
    for (var h : rule.getFromHeadersList()) {
      if (h.getName().isEmpty()) {
        return "fromHeaders entry without name";
      }
    }
    for (var c : rule.getOutputClaimToHeadersList()) {
      if (c.getHeader().isEmpty() || c.getClaim().isEmpty()) {
        return "outputClaimToHeaders entry needs header and claim";
      }
    }
    return null;
  }

  public ObjectKey key() {
    return key;
  }

  public List<JWTRule> rules() {
    return rules;
  }

  public Optional<TranslationError> failure() {
    return failure;
  }

  public boolean failed() {
    return failure.isPresent();
  }

  public boolean attaches(String rootNamespace, String workloadNamespace, Map<String, String> labels) {
    return PolicyAttachment.attaches(key.namespace(), selector, targetRefs, rootNamespace, workloadNamespace, labels);
  }
}
