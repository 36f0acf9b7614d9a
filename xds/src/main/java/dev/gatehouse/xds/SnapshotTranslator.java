package dev.gatehouse.xds;

import dev.gatehouse.model.MeshSnapshot;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The {@link ProxyConfigGenerator}: keeps the translation of the newest snapshot it has seen and derives the next
 * one from it ({@link MeshTranslation#next}), so unchanged work is reused across snapshots. A request for an older
 * snapshot is answered from a throw-away translation. Thread-safe (lock-free; the current translation is swapped by
 * compare-and-set).
 */
public final class SnapshotTranslator implements ProxyConfigGenerator {
  private final Supplier<TranslationOptions> options;
  private final Function<TranslationOptions, Function<MeshSnapshot, InboundPolicySource>> policies;
  private final AtomicReference<MeshTranslation> current = new AtomicReference<>();
  private final AtomicReference<Scoped> lastScoped = new AtomicReference<>();

  /**
   * Fixed options.
   *
   * @param policies builds the authorization/authentication filters of one snapshot (the authz translation)
   */
  public SnapshotTranslator(TranslationOptions options, Function<MeshSnapshot, InboundPolicySource> policies) {
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(policies, "policies");
    this.options = () -> options;
    this.policies = o -> policies;
  }

  /**
   * Options that change at run time (fetched JWKS, provider settings): a changed options value (by identity) starts
   * a fresh translation even for the same snapshot. The filters come from {@link AuthorizationFilters}.
   */
  public SnapshotTranslator(Supplier<TranslationOptions> options) {
    this.options = Objects.requireNonNull(options, "options");
    this.policies = AuthorizationFilters::forMesh;
  }

  @Override
  public ProxyResources generate(MeshSnapshot snapshot, ProxyIdentity proxy) {
    return translationFor(snapshot).translate(proxy);
  }

  /**
   * The scope against the translation this method returned last time: what {@link MeshTranslation#next} recorded when
   * the translation of {@code next} was derived directly from that one, and that one was of {@code previous}; all
   * proxies otherwise (a fresh translation, changed options, a translation in between, a first call). Meant for the
   * one push loop, which calls it once per push with the snapshot it pushed before.
   */
  @Override
  public ProxyScope changedSince(MeshSnapshot previous, MeshSnapshot next) {
    MeshTranslation t = translationFor(next);
    Scoped last = lastScoped.getAndSet(new Scoped(t.id(), next));
    if (last == null || last.snapshot() != previous) {
      return ProxyScope.all();
    }
    return t.changedSince(last.translationId());
  }

  private record Scoped(long translationId, MeshSnapshot snapshot) {}

  public MeshTranslation translationFor(MeshSnapshot snapshot) {
    TranslationOptions opts = options.get();
    while (true) {
      MeshTranslation cur = current.get();
      boolean sameOptions = cur != null && cur.options() == opts;
      if (sameOptions && cur.snapshot() == snapshot) {
        return cur;
      }
      if (cur != null && cur.snapshot().version() > snapshot.version()) {
        return MeshTranslation.of(snapshot, opts, policies.apply(opts));
      }
      MeshTranslation next = sameOptions ? cur.next(snapshot) : MeshTranslation.of(snapshot, opts, policies.apply(opts));
      if (current.compareAndSet(cur, next)) {
        return next;
      }
    }
  }
}
