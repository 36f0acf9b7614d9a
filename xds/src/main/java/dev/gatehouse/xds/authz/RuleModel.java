package dev.gatehouse.xds.authz;

import dev.gatehouse.api.istio.security.v1beta1.Condition;
import dev.gatehouse.api.istio.security.v1beta1.Operation;
import dev.gatehouse.api.istio.security.v1beta1.Rule;
import dev.gatehouse.api.istio.security.v1beta1.Source;
import io.envoyproxy.envoy.config.rbac.v3.Permission;
import io.envoyproxy.envoy.config.rbac.v3.Policy;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
import io.envoyproxy.envoy.config.rbac.v3.RBAC;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One AuthorizationPolicy rule, consolidated into Envoy's shape (Istio authz/model.Model): each {@code from} is one
 * principal (its fields ANDed, plus the caller-side {@code when} conditions), each {@code to} one permission (its
 * fields ANDed, plus the destination-side {@code when} conditions); principals are ORed, permissions ORed. A field's
 * values are ORed; its {@code not*} values become NOT(OR(...)). Immutable.
 */
final class RuleModel {
  private final List<List<Field<PrincipalAttribute>>> principals;
  private final List<List<Field<PermissionAttribute>>> permissions;

  /** One field or {@code when} key: its attribute, values and notValues. */
  record Field<A>(A attribute, String key, List<String> values, List<String> notValues) {}

  private RuleModel(List<List<Field<PrincipalAttribute>>> principals, List<List<Field<PermissionAttribute>>> permissions) {
    this.principals = principals;
    this.permissions = permissions;
  }

  static RuleModel of(Rule rule, String policyNamespace, TrustDomainBundle bundle) throws Untranslatable {
    List<Field<PrincipalAttribute>> basePrincipal = new ArrayList<>();
    List<Field<PermissionAttribute>> basePermission = new ArrayList<>();
    for (Condition when : rule.getWhenList()) {
      String k = when.getKey();
      List<String> values = when.getValuesList();
      List<String> notValues = when.getNotValuesList();
      if (values.isEmpty() && notValues.isEmpty()) {
        throw new Untranslatable("when \"" + k + "\": values or notValues must be set");
      }
      switch (k) {
        case "destination.ip" -> basePermission.add(new Field<>(DestinationIps.INSTANCE, k, values, notValues));
        case "destination.port" -> basePermission.add(new Field<>(Ports.INSTANCE, k, values, notValues));
        case "connection.sni" -> basePermission.add(new Field<>(ConnectionSni.INSTANCE, k, values, notValues));
        case "source.ip" -> basePrincipal.add(new Field<>(SourceIpBlocks.INSTANCE, k, values, notValues));
        case "remote.ip" -> basePrincipal.add(new Field<>(RemoteIpBlocks.INSTANCE, k, values, notValues));
        case "source.namespace" -> basePrincipal.add(new Field<>(SourceNamespaces.INSTANCE, k, values, notValues));
        case "source.trustDomain" -> basePrincipal.add(
            new Field<>(SourceTrustDomains.INSTANCE, k, bundle.expandAliases(values), bundle.expandAliases(notValues)));
        case "source.serviceAccount" -> basePrincipal.add(
            new Field<>(new SourceServiceAccounts(policyNamespace), k, values, notValues));
        case "source.principal" -> basePrincipal.add(
            new Field<>(SourcePrincipals.INSTANCE, k, aliased(bundle, values), aliased(bundle, notValues)));
        case "request.auth.principal" -> basePrincipal.add(new Field<>(RequestPrincipals.INSTANCE, k, values, notValues));
        case "request.auth.audiences" -> basePrincipal.add(new Field<>(RequestClaims.AUDIENCES, k, values, notValues));
        case "request.auth.presenter" -> basePrincipal.add(new Field<>(RequestClaims.PRESENTER, k, values, notValues));
        default -> {
          if (k.startsWith(EnvoyFilterMetadata.PREFIX)) {
            basePermission.add(new Field<>(EnvoyFilterMetadata.INSTANCE, k, values, notValues));
          } else if (k.startsWith(RequestHeaders.PREFIX + "[")) {
            basePrincipal.add(new Field<>(RequestHeaders.INSTANCE, k, values, notValues));
          } else if (k.startsWith(RequestClaims.PREFIX + "[")) {
            basePrincipal.add(new Field<>(RequestClaims.BY_KEY, k, values, notValues));
          } else {
            throw new Untranslatable("unknown attribute \"" + k + "\" in when");
          }
        }
      }
    }

    List<List<Field<PrincipalAttribute>>> principals = new ArrayList<>();
    for (Rule.From from : rule.getFromList()) {
      List<Field<PrincipalAttribute>> merged = new ArrayList<>();
      if (from.hasSource()) {
        Source s = from.getSource();
        // Istio's order (insertFront): principals, requestPrincipals, serviceAccounts, trustDomains, namespaces,
        // remoteIpBlocks, ipBlocks, then the when conditions.
        add(merged, SourcePrincipals.INSTANCE, "principals",
            aliased(bundle, s.getPrincipalsList()), aliased(bundle, s.getNotPrincipalsList()));
        add(merged, RequestPrincipals.INSTANCE, "requestPrincipals", s.getRequestPrincipalsList(), s.getNotRequestPrincipalsList());
        add(merged, new SourceServiceAccounts(policyNamespace), "serviceAccounts",
            s.getServiceAccountsList(), s.getNotServiceAccountsList());
        add(merged, SourceTrustDomains.INSTANCE, "trustDomains",
            bundle.expandAliases(s.getTrustDomainsList()), bundle.expandAliases(s.getNotTrustDomainsList()));
        add(merged, SourceNamespaces.INSTANCE, "namespaces", s.getNamespacesList(), s.getNotNamespacesList());
        add(merged, RemoteIpBlocks.INSTANCE, "remoteIpBlocks", s.getRemoteIpBlocksList(), s.getNotRemoteIpBlocksList());
        add(merged, SourceIpBlocks.INSTANCE, "ipBlocks", s.getIpBlocksList(), s.getNotIpBlocksList());
      }
      merged.addAll(basePrincipal);
      principals.add(merged);
    }
    if (rule.getFromCount() == 0) {
      principals.add(basePrincipal);
    }

    List<List<Field<PermissionAttribute>>> permissions = new ArrayList<>();
    for (Rule.To to : rule.getToList()) {
      List<Field<PermissionAttribute>> merged = new ArrayList<>();
      if (to.hasOperation()) {
        Operation o = to.getOperation();
        add(merged, Hosts.INSTANCE, "hosts", o.getHostsList(), o.getNotHostsList());
        add(merged, Methods.INSTANCE, "methods", o.getMethodsList(), o.getNotMethodsList());
        add(merged, Paths.INSTANCE, "paths", o.getPathsList(), o.getNotPathsList());
        add(merged, Ports.INSTANCE, "ports", o.getPortsList(), o.getNotPortsList());
      }
      merged.addAll(basePermission);
      permissions.add(merged);
    }
    if (rule.getToCount() == 0) {
      permissions.add(basePermission);
    }
    return new RuleModel(List.copyOf(principals), List.copyOf(permissions));
  }

  private static List<String> aliased(TrustDomainBundle bundle, List<String> principals) {
    return principals.isEmpty() ? principals : bundle.replaceAliases(principals);
  }

  private static <A> void add(List<Field<A>> to, A attribute, String key, List<String> values, List<String> notValues) {
    if (!values.isEmpty() || !notValues.isEmpty()) {
      to.add(new Field<>(attribute, key, values, notValues));
    }
  }

  /**
   * The Envoy policy for {@code target}. Empty when the rule is dropped: an ALLOW rule with a condition the chain
   * cannot evaluate (Istio: "skipped rule on TCP filter chain"). For DENY and LOG such a condition is dropped and
   * the rest kept; a from/to left without conditions becomes "any".
   */
  Optional<Policy> generate(ChainTarget target, RBAC.Action action) throws Untranslatable {
    Policy.Builder policy = Policy.newBuilder();
    try {
      for (List<Field<PermissionAttribute>> fields : permissions) {
        List<Permission> and = new ArrayList<>();
        for (Field<PermissionAttribute> f : fields) {
          if (!f.values().isEmpty()) {
            Permission p = permission(f, f.values(), target, action);
            if (p != null) {
              and.add(p);
            }
          }
          if (!f.notValues().isEmpty()) {
            Permission p = permission(f, f.notValues(), target, action);
            if (p != null) {
              and.add(Matchers.permissionNot(p));
            }
          }
        }
        if (and.isEmpty()) {
          and.add(Matchers.permissionAny());
        }
        policy.addPermissions(Matchers.permissionAnd(and));
      }
      for (List<Field<PrincipalAttribute>> fields : principals) {
        List<Principal> and = new ArrayList<>();
        for (Field<PrincipalAttribute> f : fields) {
          if (!f.values().isEmpty()) {
            Principal p = principal(f, f.values(), target, action);
            if (p != null) {
              and.add(p);
            }
          }
          if (!f.notValues().isEmpty()) {
            Principal p = principal(f, f.notValues(), target, action);
            if (p != null) {
              and.add(Matchers.principalNot(p));
            }
          }
        }
        if (and.isEmpty()) {
          and.add(Matchers.principalAny());
        }
        policy.addPrincipals(Matchers.principalAnd(and));
      }
    } catch (Unavailable dropRule) {
      return Optional.empty();
    }
    return Optional.of(policy.build());
  }

  private static Permission permission(
      Field<PermissionAttribute> f, List<String> values, ChainTarget target, RBAC.Action action)
      throws Unavailable, Untranslatable {
    try {
      return f.attribute().permission(f.key(), values, target);
    } catch (Unavailable e) {
      if (action == RBAC.Action.ALLOW) {
        throw e;
      }
      return null;
    }
  }

  private static Principal principal(
      Field<PrincipalAttribute> f, List<String> values, ChainTarget target, RBAC.Action action)
      throws Unavailable, Untranslatable {
    try {
      return f.attribute().principal(f.key(), values, target);
    } catch (Unavailable e) {
      if (action == RBAC.Action.ALLOW) {
        throw e;
      }
      return null;
    }
  }
}
