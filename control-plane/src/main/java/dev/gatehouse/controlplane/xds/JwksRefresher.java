package dev.gatehouse.controlplane.xds;

import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.xds.TranslationOptions;
import dev.gatehouse.xds.authn.JwksResolver;
import dev.gatehouse.xds.authn.JwksSnapshot;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Puts the key sets of {@code jwksUri}s into translation and re-pushes when they change. It sits between the config
 * stream and the ADS server: every mesh snapshot passes through {@link #onSnapshot}, which tells the
 * {@link JwksResolver} which URIs are in use and forwards the snapshot. {@link #options()} is what the translator
 * reads: the configured options plus the key sets fetched so far (a URI not fetched yet, or never fetched
 * successfully, is absent, and the translator inlines a key set that verifies no token). When a fetched key set
 * changes, the options are replaced (a new value, so the translator starts a fresh translation and the server's
 * per-proxy configs are recomputed) and the newest snapshot is pushed again.
 *
 * <p>In remote mode ({@code remote_jwks}) Envoy fetches the keys, so nothing is fetched here.
 *
 * <p>Thread-safety: {@link #onSnapshot} and the resolver's change callback are serialized on {@code this}, so a
 * re-push never hands the server a snapshot older than one it has already been given. {@link #options()} may be
 * called from any thread.
 */
public final class JwksRefresher implements AutoCloseable {
  private final TranslationOptions configured;
  private final JwksResolver resolver; // null in remote mode
  private volatile TranslationOptions current;
  private Consumer<MeshSnapshot> push = s -> {}; // guarded by this
  private MeshSnapshot latest; // guarded by this

  public JwksRefresher(TranslationOptions configured, JwksResolver.Timings timings, JwksResolver.JwksFetcher fetcher) {
    this.configured = Objects.requireNonNull(configured, "configured");
    this.current = configured;
    this.resolver = configured.authz().remoteJwks() ? null : new JwksResolver(fetcher, timings, this::onKeySetsChanged);
  }

  /** The options translation should use now; the same instance until a key set changes. */
  public TranslationOptions options() {
    return current;
  }

  /** Where snapshots go (the ADS server); set once while wiring, before the first snapshot. */
  public synchronized void pushTo(Consumer<MeshSnapshot> target) {
    this.push = Objects.requireNonNull(target, "target");
  }

  /** A new mesh snapshot: track its {@code jwksUri}s (new ones are fetched in the background) and push it. */
  public synchronized void onSnapshot(MeshSnapshot snapshot) {
    latest = snapshot;
    if (resolver != null) {
      resolver.track(JwksResolver.jwksUris(snapshot));
    }
    push.accept(snapshot);
  }

  /** Called on the resolver's thread when a key set was fetched, changed, or dropped. */
  private synchronized void onKeySetsChanged(JwksSnapshot keySets) {
    current = configured.withAuthz(configured.authz().withJwks(keySets));
    if (latest != null) {
      push.accept(latest);
    }
  }

  @Override
  public void close() {
    if (resolver != null) {
      resolver.close();
    }
  }
}
