package dev.gatehouse.xds.server;

import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.xds.ProxyIdentity;
import dev.gatehouse.xds.ProxyScope;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the push: takes (already debounced) mesh snapshots and hands every connected proxy the config computed from the
 * newest one. One push runs at a time; snapshots arriving meanwhile are merged into the next (only the newest counts),
 * as istiod keeps one merged push in flight. Configs are computed once per distinct {@link ProxyIdentity} on at most
 * {@code pushThrottle} threads (Istio's PILOT_PUSH_THROTTLE); handing them to streams never blocks (gRPC buffers), and
 * streams whose content did not change are not sent anything. A push visits only the streams in the generator's
 * {@link ProxyScope} for the change (e.g. the namespaces an endpoint change reaches), plus those whose last
 * translation failed.
 *
 * <p>Thread-safety: {@link #onSnapshot} may be called from any thread; the push loop is its own single thread.
 */
public final class XdsPushCoordinator implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(XdsPushCoordinator.class);

  private final ProxyConfigCache cache;
  private final ExecutorService workers;
  private final Thread pushLoop;
  private final Object lock = new Object();
  private MeshSnapshot pending; // guarded by lock
  private long pendingReceivedNanos; // guarded by lock
  private volatile long pushedVersion = -1;
  private MeshSnapshot lastPushed; // push loop only (set before it starts): the snapshot the streams were served from
  private volatile boolean closed;

  /** Istio's default PILOT_PUSH_THROTTLE: min(15 + 5 * cores, 100). */
  public static int defaultPushThrottle() {
    return Math.min(15 + 5 * Runtime.getRuntime().availableProcessors(), 100);
  }

  XdsPushCoordinator(ProxyConfigCache cache, int pushThrottle) {
    this.cache = cache;
    AtomicInteger n = new AtomicInteger();
    this.workers = Executors.newFixedThreadPool(pushThrottle, r -> {
      Thread t = new Thread(r, "xds-push-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    // Streams that connect before the first push are served from the initial snapshot: take the first push's scope
    // against it like any later one's (else the first change after a start visits every connected stream).
    MeshSnapshot initial = cache.current().snapshot();
    cache.changedSince(null, initial);
    this.lastPushed = initial;
    this.pushLoop = new Thread(this::run, "xds-push-loop");
    pushLoop.setDaemon(true);
    pushLoop.start();
  }

  /** Queues {@code snapshot} for pushing; returns at once. Older snapshots than the newest queued are dropped. */
  public void onSnapshot(MeshSnapshot snapshot) {
    synchronized (lock) {
      if (pending == null || snapshot.version() >= pending.version()) {
        if (pending == null) {
          pendingReceivedNanos = System.nanoTime();
        }
        pending = snapshot;
      }
      lock.notifyAll();
    }
  }

  /** The version of the last snapshot whose push completed (-1 before the first). */
  public long pushedVersion() {
    return pushedVersion;
  }

  private void run() {
    while (!closed) {
      MeshSnapshot next;
      long receivedNanos;
      synchronized (lock) {
        while (pending == null && !closed) {
          try {
            lock.wait();
          } catch (InterruptedException e) {
            return;
          }
        }
        if (closed) {
          return;
        }
        next = pending;
        receivedNanos = pendingReceivedNanos;
        pending = null;
      }
      try {
        push(next, receivedNanos);
      } catch (RuntimeException | InterruptedException e) {
        if (closed) {
          return;
        }
        log.error("xDS push of snapshot {} failed", next.version(), e);
      }
    }
  }

  void push(MeshSnapshot snapshot, long receivedNanos) throws InterruptedException {
    long start = System.nanoTime();
    ProxyConfigCache.SnapshotConfigs sc = cache.install(snapshot, receivedNanos);
    // Only the streams whose config can have changed are visited: the others would be handed the instance they hold
    // and sent nothing, but visiting them made an endpoint change cost in proportion to every connected proxy.
    ProxyScope scope = cache.changedSince(lastPushed, snapshot);
    Map<ProxyIdentity, List<ProxyStream>> byIdentity = new HashMap<>();
    int streams = 0;
    for (ProxyStream s : cache.streamsIn(scope)) {
      ProxyIdentity id = s.identity();
      if (id != null && (scope.includes(id) || cache.failedLastTime(id))) {
        byIdentity.computeIfAbsent(id, k -> new ArrayList<>()).add(s);
        streams++;
      }
    }
    if (!byIdentity.isEmpty()) {
      // One config first, on this thread: the translator derives its per-snapshot state (authorization filters,
      // indexes) on the first request for a new snapshot; done here once instead of by every worker at the same time.
      cache.configFor(byIdentity.keySet().iterator().next(), sc);
    }
    List<Callable<Void>> tasks = new ArrayList<>(byIdentity.size());
    for (Map.Entry<ProxyIdentity, List<ProxyStream>> e : byIdentity.entrySet()) {
      tasks.add(() -> {
        Optional<ProxyConfig> c = cache.configFor(e.getKey(), sc);
        if (c.isPresent()) {
          for (ProxyStream s : e.getValue()) {
            s.update(c.get(), snapshot.version(), receivedNanos);
          }
        }
        return null;
      });
    }
    workers.invokeAll(tasks);
    lastPushed = snapshot;
    pushedVersion = snapshot.version();
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    cache.events().pushCompleted(took, byIdentity.size(), streams);
    log.debug("pushed snapshot {} to {} streams ({} distinct proxies; scope {}) in {} ms", snapshot.version(), streams,
        byIdentity.size(), scope, took.toMillis());
  }

  @Override
  public void close() {
    closed = true;
    synchronized (lock) {
      lock.notifyAll();
    }
    pushLoop.interrupt();
    workers.shutdownNow();
  }
}
