package dev.gatehouse.xds;

import dev.gatehouse.model.MeshSnapshot;
import java.util.function.Function;

/**
 * Where the inbound authorization/authentication filters come from: the authz translation
 * ({@code dev.gatehouse.xds.authz}), built once per snapshot.
 */
public final class AuthorizationFilters {
  private AuthorizationFilters() {}

  /** The per-snapshot factory the translator uses in production. */
  public static Function<MeshSnapshot, InboundPolicySource> forMesh(TranslationOptions options) {
    // Until the authz translation lands, proxies get no RBAC/jwt_authn filters (allow-all, as Istio with no policy).
    return snapshot -> InboundPolicySource.NONE;
  }
}
