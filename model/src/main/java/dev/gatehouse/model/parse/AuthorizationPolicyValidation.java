package dev.gatehouse.model.parse;

import dev.gatehouse.api.istio.security.v1beta1.AuthorizationPolicy;
import dev.gatehouse.api.istio.security.v1beta1.Condition;
import dev.gatehouse.api.istio.security.v1beta1.Operation;
import dev.gatehouse.api.istio.security.v1beta1.Rule;
import dev.gatehouse.api.istio.security.v1beta1.Source;
import java.util.ArrayList;
import java.util.List;

/**
 * The checks Istio's validation webhook makes on an AuthorizationPolicy (istio/istio
 * pkg/config/validation/validation.go ValidateAuthorizationPolicy). A policy that fails them is kept as an
 * {@code InvalidPolicy} so translation fails closed instead of guessing what the author meant. Pure and
 * thread-safe.
 */
public final class AuthorizationPolicyValidation {
  private AuthorizationPolicyValidation() {}

  /** All errors in the spec; empty when Istio would admit it. */
  public static List<String> validate(AuthorizationPolicy in) {
    List<String> errors = new ArrayList<>();
    errors.addAll(
        IstioValueRules.validateOneOfSelectorType(in.hasSelector(), in.hasTargetRef(), in.getTargetRefsList()));
    errors.addAll(IstioValueRules.validateWorkloadSelector(in.getSelector()));
    errors.addAll(IstioValueRules.validateTargetRefCount(in.getTargetRefsCount()));
    if (in.hasTargetRef()) {
      errors.addAll(IstioValueRules.validatePolicyTargetReference(in.getTargetRef()));
    }
    in.getTargetRefsList().forEach(r -> errors.addAll(IstioValueRules.validatePolicyTargetReference(r)));
    errors.addAll(validateAction(in));
    // Istio CRD schema: at most 512 rules, and 512 sources per rule.
    if (in.getRulesCount() > 512) {
      errors.add("rules may not have more than 512 items");
    }
    for (int i = 0; i < in.getRulesCount(); i++) {
      if (in.getRules(i).getFromCount() > 512) {
        errors.add("`from` may not have more than 512 items, found at rule " + i);
      }
      errors.addAll(validateRule(in.getRules(i), i));
    }
    return errors;
  }

  /** CUSTOM needs a provider and rules; a provider needs CUSTOM; DENY needs rules. */
  public static List<String> validateAction(AuthorizationPolicy in) {
    List<String> errors = new ArrayList<>();
    AuthorizationPolicy.Action action = in.getAction();
    if (action == AuthorizationPolicy.Action.CUSTOM) {
      if (in.getRulesCount() == 0) {
        errors.add(
            "CUSTOM action without `rules` is meaningless as it will never be triggered, add an empty rule `{}`"
                + " if you want it be triggered for every request");
      } else if (!in.hasProvider() || in.getProvider().getName().isEmpty()) {
        errors.add("`provider.name` must not be empty");
      }
      for (Rule rule : in.getRulesList()) {
        errors.addAll(validateCustomRule(rule));
      }
    }
    if (in.hasProvider() && action != AuthorizationPolicy.Action.CUSTOM) {
      errors.add("`provider` must not be with non CUSTOM action, found " + action);
    }
    if (action == AuthorizationPolicy.Action.DENY && in.getRulesCount() == 0) {
      errors.add(
          "DENY action without `rules` is meaningless as it will never be triggered, add an empty rule `{}`"
              + " if you want it be triggered for every request");
    }
    return errors;
  }

  /** Istio: a CUSTOM rule is evaluated before authentication, so identity-based fields cannot be used. */
  static List<String> validateCustomRule(Rule rule) {
    List<String> errors = new ArrayList<>();
    for (Rule.From from : rule.getFromList()) {
      Source s = from.getSource();
      unsupportedWithCustom(errors, s.getNamespacesCount(), "From.Namespaces");
      unsupportedWithCustom(errors, s.getNotNamespacesCount(), "From.NotNamespaces");
      unsupportedWithCustom(errors, s.getServiceAccountsCount(), "From.ServiceAccounts");
      unsupportedWithCustom(errors, s.getNotServiceAccountsCount(), "From.NotServiceAccounts");
      unsupportedWithCustom(errors, s.getTrustDomainsCount(), "From.TrustDomains");
      unsupportedWithCustom(errors, s.getNotTrustDomainsCount(), "From.NotTrustDomains");
      unsupportedWithCustom(errors, s.getPrincipalsCount(), "From.Principals");
      unsupportedWithCustom(errors, s.getNotPrincipalsCount(), "From.NotPrincipals");
      unsupportedWithCustom(errors, s.getRequestPrincipalsCount(), "From.RequestPrincipals");
      unsupportedWithCustom(errors, s.getNotRequestPrincipalsCount(), "From.NotRequestPrincipals");
    }
    for (Condition when : rule.getWhenList()) {
      String key = when.getKey();
      if (key.equals("source.namespace")
          || key.equals("source.serviceAccount")
          || key.equals("source.trustDomain")
          || key.equals("source.principal")
          || key.startsWith("request.auth.")) {
        errors.add(key + " is currently not supported with CUSTOM action");
      }
    }
    return errors;
  }

  private static void unsupportedWithCustom(List<String> errors, int count, String name) {
    if (count != 0) {
      errors.add(name + " is currently not supported with CUSTOM action");
    }
  }

  /** One rule's from/to/when, as Istio checks them. {@code index} is used in messages. */
  public static List<String> validateRule(Rule rule, int index) {
    List<String> errors = new ArrayList<>();
    for (Rule.From from : rule.getFromList()) {
      if (!from.hasSource()) {
        errors.add("`from.source` must not be nil, found at rule " + index);
      } else {
        errors.addAll(validateSource(from.getSource(), index));
      }
    }
    for (Rule.To to : rule.getToList()) {
      if (!to.hasOperation()) {
        errors.add("`to.operation` must not be nil, found at rule " + index);
      } else {
        errors.addAll(validateOperation(to.getOperation(), index));
      }
    }
    for (Condition condition : rule.getWhenList()) {
      errors.addAll(validateCondition(condition));
    }
    return errors;
  }

  public static List<String> validateSource(Source src, int index) {
    List<String> errors = new ArrayList<>();
    if (src.getPrincipalsCount() + src.getNotPrincipalsCount() + src.getNamespacesCount()
                + src.getNotNamespacesCount()
            > 0
        && src.getServiceAccountsCount() + src.getNotServiceAccountsCount() > 0) {
      errors.add("cannot set serviceAccounts with namespaces or principals, found at rule " + index);
    }
    if (src.equals(Source.getDefaultInstance())) {
      errors.add("`from.source` must not be empty, found at rule " + index);
    }
    errors.addAll(IstioValueRules.validateIps(src.getIpBlocksList()));
    errors.addAll(IstioValueRules.validateIps(src.getNotIpBlocksList()));
    errors.addAll(IstioValueRules.validateIps(src.getRemoteIpBlocksList()));
    errors.addAll(IstioValueRules.validateIps(src.getNotRemoteIpBlocksList()));
    errors.addAll(IstioValueRules.checkEmptyValues("Principals", src.getPrincipalsList()));
    errors.addAll(IstioValueRules.checkEmptyValues("RequestPrincipals", src.getRequestPrincipalsList()));
    errors.addAll(IstioValueRules.checkEmptyValues("Namespaces", src.getNamespacesList()));
    errors.addAll(IstioValueRules.checkServiceAccount("ServiceAccounts", src.getServiceAccountsList()));
    errors.addAll(IstioValueRules.checkTrustDomainValues("TrustDomains", src.getTrustDomainsList()));
    errors.addAll(IstioValueRules.checkEmptyValues("IpBlocks", src.getIpBlocksList()));
    errors.addAll(IstioValueRules.checkEmptyValues("RemoteIpBlocks", src.getRemoteIpBlocksList()));
    errors.addAll(IstioValueRules.checkEmptyValues("NotPrincipals", src.getNotPrincipalsList()));
    errors.addAll(IstioValueRules.checkEmptyValues("NotRequestPrincipals", src.getNotRequestPrincipalsList()));
    errors.addAll(IstioValueRules.checkEmptyValues("NotNamespaces", src.getNotNamespacesList()));
    errors.addAll(IstioValueRules.checkServiceAccount("NotServiceAccounts", src.getNotServiceAccountsList()));
    errors.addAll(IstioValueRules.checkTrustDomainValues("NotTrustDomains", src.getNotTrustDomainsList()));
    errors.addAll(IstioValueRules.checkEmptyValues("NotIpBlocks", src.getNotIpBlocksList()));
    errors.addAll(IstioValueRules.checkEmptyValues("NotRemoteIpBlocks", src.getNotRemoteIpBlocksList()));
    return errors;
  }

  public static List<String> validateOperation(Operation op, int index) {
    List<String> errors = new ArrayList<>();
    if (op.equals(Operation.getDefaultInstance())) {
      errors.add("`to.operation` must not be empty, found at rule " + index);
    }
    errors.addAll(IstioValueRules.validatePorts(op.getPortsList()));
    errors.addAll(IstioValueRules.validatePorts(op.getNotPortsList()));
    errors.addAll(IstioValueRules.checkEmptyValues("Ports", op.getPortsList()));
    errors.addAll(IstioValueRules.checkEmptyValues("Methods", op.getMethodsList()));
    errors.addAll(IstioValueRules.checkEmptyValues("Paths", op.getPathsList()));
    errors.addAll(IstioValueRules.checkEmptyValues("Hosts", op.getHostsList()));
    errors.addAll(IstioValueRules.checkEmptyValues("NotPorts", op.getNotPortsList()));
    errors.addAll(IstioValueRules.checkEmptyValues("NotMethods", op.getNotMethodsList()));
    errors.addAll(IstioValueRules.checkEmptyValues("NotPaths", op.getNotPathsList()));
    errors.addAll(IstioValueRules.checkEmptyValues("NotHosts", op.getNotHostsList()));
    errors.addAll(IstioValueRules.checkValidPathTemplate("Paths", op.getPathsList()));
    errors.addAll(IstioValueRules.checkValidPathTemplate("NotPaths", op.getNotPathsList()));
    return errors;
  }

  /** A {@code when} condition: a known key, and at least one of values / notValues. */
  public static List<String> validateCondition(Condition condition) {
    String key = condition.getKey();
    if (key.isEmpty()) {
      return List.of("`key` must not be empty");
    }
    if (condition.getValuesCount() == 0 && condition.getNotValuesCount() == 0) {
      return List.of("at least one of `values` or `notValues` must be set for key " + key);
    }
    List<String> errors = new ArrayList<>();
    for (String e : IstioValueRules.validateAttribute(key, condition.getValuesList())) {
      errors.add("invalid `value` for `key` " + key + ": " + e);
    }
    for (String e : IstioValueRules.validateAttribute(key, condition.getNotValuesList())) {
      errors.add("invalid `notValue` for `key` " + key + ": " + e);
    }
    return errors;
  }
}
