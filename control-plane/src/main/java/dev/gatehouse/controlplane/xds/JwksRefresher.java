package dev.gatehouse.controlplane.xds;

import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.xds.TranslationOptions;
import dev.gatehouse.xds.authn.JwksResolver;
import dev.gatehouse.xds.authn.JwksSnapshot;
import dev.gatehouse.xds.authn.MeshJwksHosts;
import dev.gatehouse.xds.authz.AuthzOptions;
import dev.gatehouse.xds.authz.RemoteJwksCluster;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts the key sets of {@code jwksUri}s into translation and re-pushes when they change. It sits between the config
 * stream and the ADS server: every mesh snapshot passes through {@link #onSnapshot}, which tells the
 * {@link JwksResolver} which URIs are in use and forwards the snapshot. {@link #options()} is what the translator
 * reads: the configured options plus the key sets fetched so far (a URI not fetched yet, or never fetched
 * successfully, is absent, and the translator inlines a key set that verifies no token). When a fetched key set
 * changes, the options are replaced (a new value, so the translator starts a fresh translation and the server's
 * per-proxy configs are recomputed) and the newest snapshot is pushed again.
 *
 * <p>Remote mode ({@code remote_jwks}, Envoy fetches): only for URIs whose host and port are a mesh service (the
 * outbound cluster {@code remote_jwks} names exists); other URIs are fetched here and inlined, as Istio's "hybrid"
 * mode does, since no proxy could reach them. The options change when that split changes.
 *
 * <p>Thread-safety: {@link #onSnapshot} and the resolver's change callback are serialized on {@code this}, so a
 * re-push never hands the server a snapshot older than one it has already been given. {@link #options()} may be
 * called from any thread.
 */
public final class JwksRefresher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(JwksRefresher.class);

  private final TranslationOptions configured;
  private final boolean remoteMode;
  private final JwksResolver resolver;
  private volatile TranslationOptions current;
  private Consumer<MeshSnapshot> push = s -> {}; // guarded by this
  private MeshSnapshot latest; // guarded by this
  private JwksSnapshot keySets = JwksSnapshot.EMPTY; // guarded by this
  private Set<String> fetchedByProxies = Set.of(); // guarded by this; remote mode only

  public JwksRefresher(TranslationOptions configured, JwksResolver.Timings timings, JwksResolver.JwksFetcher fetcher) {
    this.configured = Objects.requireNonNull(configured, "configured");
    this.remoteMode = configured.authz().remoteJwks();
    this.resolver = new JwksResolver(fetcher, timings, this::onKeySetsChanged);
    this.current = build();
  }

  /** The options translation should use now; the same instance until a key set (or the remote/inline split) changes. */
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
    Set<String> toFetch = new TreeSet<>(JwksResolver.jwksUris(snapshot));
    if (remoteMode) {
      Set<String> remote = MeshJwksHosts.reachableThroughMesh(snapshot, toFetch);
      toFetch.removeAll(remote);
      if (!remote.equals(fetchedByProxies)) {
        fetchedByProxies = Set.copyOf(remote);
        current = build();
        if (!toFetch.isEmpty()) {
          log.info("remote JWKS mode: {} not a mesh service (no outbound cluster for the proxies to fetch through); "
              + "fetched by Gatehouse and inlined", toFetch);
        }
      }
    }
    resolver.track(toFetch);
    push.accept(snapshot);
  }

  /** Called on the resolver's thread when a key set was fetched, changed, or dropped. */
  private synchronized void onKeySetsChanged(JwksSnapshot fetched) {
    keySets = fetched;
    current = build();
    if (latest != null) {
      push.accept(latest);
    }
  }

  private TranslationOptions build() {
    AuthzOptions a = configured.authz().withJwks(keySets);
    if (remoteMode) {
      Set<String> remote = fetchedByProxies;
      // A null cluster makes the translator inline the fetched key set instead of sending remote_jwks.
      a = a.withRemoteJwks(true)
          .withRemoteJwksCluster(uri -> remote.contains(uri.toString()) ? RemoteJwksCluster.outboundClusterFor(uri) : null);
    }
    return configured.withAuthz(a);
  }

  @Override
  public void close() {
    resolver.close();
  }
}
