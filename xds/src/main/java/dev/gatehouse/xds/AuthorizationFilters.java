package dev.gatehouse.xds;

import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.model.Workload;
import dev.gatehouse.xds.authz.InboundPolicyFilters;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * Where the inbound authorization/authentication filters come from: the authz translation
 * ({@link InboundPolicyFilters}: AuthorizationPolicy to RBAC/ext_authz, RequestAuthentication to jwt_authn), built
 * once per snapshot. Thread-safe (InboundPolicyFilters is immutable once built).
 */
public final class AuthorizationFilters implements InboundPolicySource {
  private final InboundPolicyFilters filters;

  private AuthorizationFilters(InboundPolicyFilters filters) {
    this.filters = filters;
  }

  /**
   * The per-snapshot factory the translator uses in production. It remembers the last result and hands it to the
   * next build, so a policy that did not change is never translated again (InboundPolicyFilters reuses a previous
   * translation only for an equal policy, so handing it any earlier result is safe).
   */
  public static Function<MeshSnapshot, InboundPolicySource> forMesh(TranslationOptions options) {
    AtomicReference<InboundPolicyFilters> last = new AtomicReference<>();
    return snapshot -> {
      InboundPolicyFilters built = InboundPolicyFilters.build(snapshot, options.authz(), last.get());
      last.set(built);
      return new AuthorizationFilters(built);
    };
  }

  @Override
  public List<HttpFilter> httpFilters(Workload w, ProxyKind kind, int port) {
    return filters.httpFilters(w, kind, port);
  }

  @Override
  public List<Filter> networkFilters(Workload w, ProxyKind kind, int port) {
    return filters.networkFilters(w, kind, port);
  }

  @Override
  public List<TranslationError> errors() {
    return filters.errors();
  }
}
