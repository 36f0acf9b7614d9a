package dev.gatehouse.xds;

import java.util.Set;

/**
 * Which proxies' resources may differ between two snapshots' translations: every proxy, or only those of some
 * namespaces. A scope may include proxies whose resources turn out unchanged (they are then sent nothing); it never
 * leaves out one whose resources changed. The push visits only the streams in scope, so that an endpoint change or
 * one namespace's policy change costs in proportion to the proxies it concerns, not to all connected ones.
 */
public final class ProxyScope {
  private static final ProxyScope ALL = new ProxyScope(null);
  private static final ProxyScope NONE = new ProxyScope(Set.of());

  private final Set<String> namespaces; // null: all

  private ProxyScope(Set<String> namespaces) {
    this.namespaces = namespaces;
  }

  /** Every proxy (the safe answer whenever the difference is not known). */
  public static ProxyScope all() {
    return ALL;
  }

  /** No proxy: the two translations give every proxy the same resources. */
  public static ProxyScope none() {
    return NONE;
  }

  /** The proxies of {@code namespaces} (those of their pods, and those whose node names the namespace). */
  public static ProxyScope namespaces(Set<String> namespaces) {
    return namespaces.isEmpty() ? NONE : new ProxyScope(Set.copyOf(namespaces));
  }

  public boolean isAll() {
    return namespaces == null;
  }

  /** The namespaces in scope; empty when {@link #isAll()}. */
  public Set<String> namespaceSet() {
    return namespaces == null ? Set.of() : namespaces;
  }

  public boolean includes(ProxyIdentity proxy) {
    return namespaces == null
        || namespaces.contains(proxy.workload().namespace())
        || namespaces.contains(proxy.namespace());
  }

  @Override
  public String toString() {
    return namespaces == null ? "all proxies" : namespaces.size() + " namespace(s)";
  }
}
