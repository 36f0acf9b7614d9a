package dev.gatehouse.xds;

import dev.gatehouse.model.MeshSnapshot;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * The {@link ProxyConfigGenerator}: keeps the translation of the newest snapshot it has seen and derives the next
 * one from it ({@link MeshTranslation#next}), so unchanged work is reused across snapshots. A request for an older
 * snapshot is answered from a throw-away translation. Thread-safe (lock-free; the current translation is swapped by
 * compare-and-set).
 */
public final class SnapshotTranslator implements ProxyConfigGenerator {
  private final TranslationOptions options;
  private final Function<MeshSnapshot, InboundPolicySource> policies;
  private final AtomicReference<MeshTranslation> current = new AtomicReference<>();

  /**
   * @param policies builds the authorization/authentication filters of one snapshot (the authz translation)
   */
  public SnapshotTranslator(TranslationOptions options, Function<MeshSnapshot, InboundPolicySource> policies) {
    this.options = Objects.requireNonNull(options, "options");
    this.policies = Objects.requireNonNull(policies, "policies");
  }

  @Override
  public ProxyResources generate(MeshSnapshot snapshot, ProxyIdentity proxy) {
    return translationFor(snapshot).translate(proxy);
  }

  public MeshTranslation translationFor(MeshSnapshot snapshot) {
    while (true) {
      MeshTranslation cur = current.get();
      if (cur != null && cur.snapshot() == snapshot) {
        return cur;
      }
      if (cur != null && cur.snapshot().version() > snapshot.version()) {
        return MeshTranslation.of(snapshot, options, policies);
      }
      MeshTranslation next = cur == null ? MeshTranslation.of(snapshot, options, policies) : cur.next(snapshot);
      if (current.compareAndSet(cur, next)) {
        return next;
      }
    }
  }
}
