package dev.gatehouse.model.parse;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.Duration;
import dev.gatehouse.api.istio.security.v1beta1.ClaimToHeader;
import dev.gatehouse.api.istio.security.v1beta1.JWTHeader;
import dev.gatehouse.api.istio.security.v1beta1.JWTRule;
import dev.gatehouse.api.istio.security.v1beta1.RequestAuthentication;
import java.util.ArrayList;
import java.util.List;

/**
 * The checks Istio's validation webhook makes on a RequestAuthentication (istio/istio
 * pkg/config/validation/validation.go ValidateRequestAuthentication, validateJwtRule). Pure and thread-safe.
 */
public final class RequestAuthenticationValidation {
  private RequestAuthenticationValidation() {}

  /** All errors in the spec; empty when Istio would admit it. */
  public static List<String> validate(RequestAuthentication in) {
    List<String> errors = new ArrayList<>();
    errors.addAll(
        IstioValueRules.validateOneOfSelectorType(in.hasSelector(), in.hasTargetRef(), in.getTargetRefsList()));
    errors.addAll(IstioValueRules.validateWorkloadSelector(in.getSelector()));
    errors.addAll(IstioValueRules.validateTargetRefCount(in.getTargetRefsCount()));
    if (in.hasTargetRef()) {
      errors.addAll(IstioValueRules.validatePolicyTargetReference(in.getTargetRef()));
    }
    in.getTargetRefsList().forEach(r -> errors.addAll(IstioValueRules.validatePolicyTargetReference(r)));
    for (JWTRule rule : in.getJwtRulesList()) {
      errors.addAll(validateJwtRule(rule));
    }
    return errors;
  }

  /**
   * One JWT rule: the webhook's validateJwtRule plus the rules Istio's CRD schema enforces before it. istiod's
   * translator would let an inline {@code jwks} win over {@code jwksUri}, but the CRD rejects a rule with both
   * ("only one of jwks or jwksUri can be set"), so such a rule never reaches a real istiod and is an error here.
   */
  public static List<String> validateJwtRule(JWTRule rule) {
    List<String> errors = new ArrayList<>();
    if (!rule.getJwks().isEmpty() && !rule.getJwksUri().isEmpty()) {
      errors.add("only one of jwks or jwksUri can be set");
    }
    if (rule.getJwksUri().length() > 2048) {
      errors.add("jwksUri must be at most 2048 characters");
    }
    if (rule.getSpaceDelimitedClaimsCount() > 64) {
      errors.add("spaceDelimitedClaims may not have more than 64 values");
    }
    for (String claim : rule.getSpaceDelimitedClaimsList()) {
      if (claim.isEmpty()) {
        errors.add("spaceDelimitedClaims must be non-empty strings");
        break;
      }
    }
    for (String audience : rule.getAudiencesList()) {
      if (audience.isEmpty()) {
        errors.add("audience must be non-empty string");
      }
    }
    if (rule.getIssuer().isEmpty() && rule.getJwksUri().isEmpty()) {
      errors.add("issuer or jwksUri must be non-empty string");
    }
    if (!rule.getJwksUri().isEmpty()) {
      errors.addAll(IstioValueRules.validateJwksUri(rule.getJwksUri()));
    }
    if (!rule.getJwks().isEmpty()) {
      errors.addAll(validateJwks(rule.getJwks()));
    }
    for (JWTHeader header : rule.getFromHeadersList()) {
      if (header.getName().isEmpty()) {
        errors.add("location header name must be non-empty string");
      }
    }
    for (String param : rule.getFromParamsList()) {
      if (param.isEmpty()) {
        errors.add("location query must be non-empty string");
      }
    }
    for (String cookie : rule.getFromCookiesList()) {
      if (cookie.isEmpty()) {
        errors.add("cookie name must be non-empty string");
      }
    }
    for (ClaimToHeader c : rule.getOutputClaimToHeadersList()) {
      if (c.getClaim().isEmpty() || c.getHeader().isEmpty()) {
        errors.add("outputClaimToHeaders header and claim value must be non-empty string");
        continue;
      }
      errors.addAll(IstioValueRules.validateStrictHeaderName(c.getHeader()));
    }
    if (rule.hasTimeout()) {
      errors.addAll(validateDuration(rule.getTimeout()));
    }
    return errors;
  }

  /**
   * An inline JWKS must be a JSON key set ({@code {"keys":[...]}}) or a single key, each with a {@code kty}. A set
   * that does not parse would make every token fail, so Istio rejects it at admission.
   */
  public static List<String> validateJwks(String jwks) {
    JsonElement root;
    try {
      root = JsonParser.parseString(jwks);
    } catch (RuntimeException e) {
      return List.of("jwks parse error: not JSON");
    }
    if (!root.isJsonObject()) {
      return List.of("jwks parse error: not a JSON object");
    }
    JsonObject o = root.getAsJsonObject();
    if (o.has("keys")) {
      if (!o.get("keys").isJsonArray()) {
        return List.of("jwks parse error: \"keys\" is not a list");
      }
      for (JsonElement key : o.getAsJsonArray("keys")) {
        if (!hasKty(key)) {
          return List.of("jwks parse error: a key has no \"kty\"");
        }
      }
      return List.of();
    }
    return hasKty(o) ? List.of() : List.of("jwks parse error: neither a key set nor a key");
  }

  private static boolean hasKty(JsonElement key) {
    return key.isJsonObject()
        && key.getAsJsonObject().has("kty")
        && key.getAsJsonObject().get("kty").isJsonPrimitive()
        && !key.getAsJsonObject().get("kty").getAsString().isEmpty();
  }

  /** Istio agent.ValidateDuration: at least 1ms, millisecond precision. */
  static List<String> validateDuration(Duration d) {
    long nanos = d.getSeconds() * 1_000_000_000L + d.getNanos();
    if (nanos < 1_000_000L) {
      return List.of("duration must be greater than 1ms");
    }
    if (d.getNanos() % 1_000_000 != 0) {
      return List.of("only durations to ms precision are supported");
    }
    return List.of();
  }
}
