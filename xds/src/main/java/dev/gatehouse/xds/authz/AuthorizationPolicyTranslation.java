package dev.gatehouse.xds.authz;

import dev.gatehouse.api.istio.security.v1beta1.AuthorizationPolicy;
import dev.gatehouse.api.istio.type.v1beta1.PolicyTargetReference;
import dev.gatehouse.model.InvalidPolicy;
import dev.gatehouse.model.ObjectKey;
import dev.gatehouse.model.Policy;
import dev.gatehouse.model.ResourceMeta;
import dev.gatehouse.xds.TranslationError;
import io.envoyproxy.envoy.config.rbac.v3.RBAC;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * One AuthorizationPolicy, translated once per snapshot and shared by every workload it applies to. Holds its
 * scope, action and dry-run flag, and the Envoy RBAC policies of each rule per chain kind (computed on first use,
 * then cached). A policy that did not parse or cannot be translated is kept as a failure: it then fails closed
 * (ALLOW matches nothing, DENY and unknown actions deny everything, AUDIT logs everything, CUSTOM denies
 * everything). Thread-safe: immutable apart from the per-target cache, which is written under the instance lock.
 */
final class AuthorizationPolicyTranslation {
  static final String DRY_RUN_ANNOTATION = "istio.io/dry-run";

  /** The action the policy takes; CUSTOM rules feed ext_authz. */
  enum Kind {
    ALLOW,
    DENY,
    AUDIT,
    CUSTOM
  }

  private final ObjectKey key;
  private final Kind kind;
  private final boolean dryRun;
  private final String provider;
  private final Map<String, String> selector;
  private final List<PolicyTargetReference> targetRefs;
  private final List<RuleModel> rules;
  private final Optional<TranslationError> failure;
  private final Map<ChainTarget, Map<String, io.envoyproxy.envoy.config.rbac.v3.Policy>> byTarget =
      new java.util.EnumMap<>(ChainTarget.class);

  private AuthorizationPolicyTranslation(
      ObjectKey key,
      Kind kind,
      boolean dryRun,
      String provider,
      Map<String, String> selector,
      List<PolicyTargetReference> targetRefs,
      List<RuleModel> rules,
      Optional<TranslationError> failure) {
    this.key = key;
    this.kind = kind;
    this.dryRun = dryRun;
    this.provider = provider;
    this.selector = selector;
    this.targetRefs = targetRefs;
    this.rules = rules;
    this.failure = failure;
  }

  static AuthorizationPolicyTranslation of(Policy<AuthorizationPolicy> policy, TrustDomainBundle bundle) {
    AuthorizationPolicy spec = policy.spec();
    Kind kind =
        switch (spec.getAction()) {
          case ALLOW -> Kind.ALLOW;
          case DENY -> Kind.DENY;
          case AUDIT -> Kind.AUDIT;
          case CUSTOM -> Kind.CUSTOM;
          default -> Kind.DENY;
        };
    List<PolicyTargetReference> refs =
        PolicyAttachment.targetRefs(spec.getTargetRef(), spec.getTargetRefsList(), spec.hasTargetRef());
    Map<String, String> selector = spec.hasSelector() ? spec.getSelector().getMatchLabelsMap() : Map.of();
    String provider = spec.hasProvider() ? spec.getProvider().getName() : "";
    boolean dryRun = dryRun(policy.meta());
    List<RuleModel> rules = new ArrayList<>();
    Optional<TranslationError> failure = Optional.empty();
    try {
      if (spec.getActionValue() > 3) {
        throw new Untranslatable("unknown action " + spec.getActionValue());
      }
      if (kind == Kind.CUSTOM && provider.isEmpty()) {
        throw new Untranslatable("CUSTOM action without provider.name");
      }
      for (int i = 0; i < spec.getRulesCount(); i++) {
        try {
          rules.add(RuleModel.of(spec.getRules(i), policy.namespace(), bundle));
        } catch (Untranslatable e) {
          throw new Untranslatable("rule[" + i + "]: " + e.getMessage());
        }
      }
      // Values (CIDRs, ports, templates) are checked by generating once for the richest chain.
      for (int i = 0; i < rules.size(); i++) {
        try {
          rules.get(i).generate(ChainTarget.SIDECAR_HTTP, envoyAction(kind));
        } catch (Untranslatable e) {
          throw new Untranslatable("rule[" + i + "]: " + e.getMessage());
        }
      }
    } catch (Untranslatable e) {
      rules = List.of();
      failure = Optional.of(failureError(policy.meta(), kind, e.getMessage()));
    }
    return new AuthorizationPolicyTranslation(
        policy.key(), kind, dryRun, provider, Map.copyOf(selector), List.copyOf(refs), List.copyOf(rules), failure);
  }

  static AuthorizationPolicyTranslation ofInvalid(InvalidPolicy invalid) {
    Kind kind =
        switch (invalid.action().toUpperCase(Locale.ROOT)) {
          case "", "ALLOW" -> Kind.ALLOW;
          case "AUDIT" -> Kind.AUDIT;
          case "CUSTOM" -> Kind.CUSTOM;
          default -> Kind.DENY;
        };
    if (!invalid.action().isEmpty() && !invalid.action().equals(invalid.action().toUpperCase(Locale.ROOT))) {
      kind = Kind.DENY; // Istio's enum is case-sensitive: "allow" is not ALLOW.
    }
    return new AuthorizationPolicyTranslation(
        invalid.key(),
        kind,
        dryRun(invalid.meta()),
        "",
        invalid.selector().orElse(Map.of()),
        List.of(),
        List.of(),
        Optional.of(failureError(invalid.meta(), kind, "did not parse: " + invalid.reason())));
  }

  private static TranslationError failureError(ResourceMeta meta, Kind kind, String message) {
    String effect =
        switch (kind) {
          case ALLOW -> "kept as an ALLOW policy that matches nothing";
          case DENY -> "denies every request to the workloads it selects";
          case AUDIT -> "audits every request to the workloads it selects";
          case CUSTOM -> "denies every request to the workloads it selects (default-deny-all-due-to-bad-CUSTOM-action)";
        };
    return new TranslationError("AuthorizationPolicy " + meta.key(), message, effect);
  }

  /** Istio parses the annotation with strconv.ParseBool; anything else means "not dry-run" (enforced). */
  private static boolean dryRun(ResourceMeta meta) {
    String v = meta.annotations().get(DRY_RUN_ANNOTATION);
    return v != null && switch (v) {
      case "1", "t", "T", "true", "TRUE", "True" -> true;
      default -> false;
    };
  }

  static RBAC.Action envoyAction(Kind kind) {
    return switch (kind) {
      case ALLOW -> RBAC.Action.ALLOW;
      case AUDIT -> RBAC.Action.LOG;
      case DENY, CUSTOM -> RBAC.Action.DENY; // CUSTOM rules are built with DENY semantics, as in Istio
    };
  }

  ObjectKey key() {
    return key;
  }

  Kind kind() {
    return kind;
  }

  boolean dryRun() {
    return dryRun;
  }

  String provider() {
    return provider;
  }

  Optional<TranslationError> failure() {
    return failure;
  }

  boolean failed() {
    return failure.isPresent();
  }

  boolean attaches(String rootNamespace, String workloadNamespace, Map<String, String> labels) {
    return PolicyAttachment.attaches(key.namespace(), selector, targetRefs, rootNamespace, workloadNamespace, labels);
  }

  /** Istio's policy key, "ns[<ns>]-policy[<name>]-rule[<i>]", with an optional prefix (CUSTOM). */
  String ruleName(String prefix, int rule) {
    return prefix + "ns[" + key.namespace() + "]-policy[" + key.name() + "]-rule[" + rule + "]";
  }

  /**
   * Envoy policies for this policy's rules on {@code target}, keyed by rule name (with {@code prefix}), in rule
   * order. A rule dropped on this chain is absent. Not for failed policies.
   */
  Map<String, io.envoyproxy.envoy.config.rbac.v3.Policy> rbacPolicies(ChainTarget target, String prefix) {
    Map<String, io.envoyproxy.envoy.config.rbac.v3.Policy> base;
    synchronized (this) {
      base = byTarget.get(target);
      if (base == null) {
        base = generate(target);
        byTarget.put(target, base);
      }
    }
    if (prefix.isEmpty()) {
      return base;
    }
    Map<String, io.envoyproxy.envoy.config.rbac.v3.Policy> prefixed = new LinkedHashMap<>();
    base.forEach((k, v) -> prefixed.put(prefix + k, v));
    return prefixed;
  }

  private Map<String, io.envoyproxy.envoy.config.rbac.v3.Policy> generate(ChainTarget target) {
    Map<String, io.envoyproxy.envoy.config.rbac.v3.Policy> out = new LinkedHashMap<>();
    if (rules.isEmpty()) {
      // Istio: a policy without rules gets an explicit never-matching policy (allow-nothing for ALLOW).
      out.put(ruleName("", 0), RbacPolicies.MATCH_NEVER);
      return Collections.unmodifiableMap(out);
    }
    for (int i = 0; i < rules.size(); i++) {
      try {
        Optional<io.envoyproxy.envoy.config.rbac.v3.Policy> p = rules.get(i).generate(target, envoyAction(kind));
        if (p.isPresent()) {
          out.put(ruleName("", i), p.get());
        }
      } catch (Untranslatable e) {
        // Checked in of(); cannot happen for a policy that did not fail there.
        throw new IllegalStateException(e);
      }
    }
    return Collections.unmodifiableMap(out);
  }
}
