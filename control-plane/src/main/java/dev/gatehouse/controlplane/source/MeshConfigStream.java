package dev.gatehouse.controlplane.source;

import dev.gatehouse.controlplane.source.ConfigInputErrors.Reason;
import dev.gatehouse.model.InvalidPolicy;
import dev.gatehouse.model.MeshConfig;
import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.model.parse.ParseResult;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The one change stream both config sources feed. It keeps the last good version of every object (keyed by kind and
 * namespace/name), counts a version up on every change, builds the immutable {@link MeshSnapshot} of the current
 * state, and hands it to subscribers through the debouncing {@link SnapshotPublisher}.
 *
 * <p>Bad input never loses what worked: an invalid update of a policy that had a valid version keeps the valid
 * version (and is reported); an invalid policy seen for the first time enters the snapshot as an
 * {@link InvalidPolicy}, so translation fails closed for the workloads it selects instead of ignoring it.
 *
 * <p>Thread-safe: all state is guarded by {@code this}; sources may call from their own threads.
 */
public final class MeshConfigStream implements AutoCloseable {
  /** Kinds Gatehouse reads, for per-kind metrics. */
  public static final List<String> KINDS =
      List.of(
          "Namespace",
          "ServiceAccount",
          "Pod",
          "Service",
          "EndpointSlice",
          "PeerAuthentication",
          "AuthorizationPolicy",
          "RequestAuthentication",
          "DestinationRule");

  /** What an upsert or delete did to the store. */
  public enum Outcome {
    ADDED,
    UPDATED,
    UNCHANGED,
    /** The new version was invalid; the previous valid version stays in the snapshot. */
    KEPT_PREVIOUS,
    /** A new object that is an invalid policy: stored as such so translation fails closed. */
    ADDED_INVALID,
    DELETED,
    ABSENT
  }

  private final MeshConfig mesh;
  private final ConfigInputErrors errors;
  private final SnapshotPublisher publisher;
  private final CompletableFuture<MeshSnapshot> initialSync = new CompletableFuture<>();

  // Guarded by this.
  private final Map<MeshObjectId, Object> objects = new HashMap<>();
  /**
   * The objects changed since {@link #snapshot} was built, with the value that snapshot holds for each (a
   * placeholder for none): the next snapshot is derived from the last one by replacing only these.
   */
  private final Map<MeshObjectId, Object> changedSinceSnapshot = new HashMap<>();
  private static final Object ABSENT = new Object();
  private long version;
  private MeshSnapshot snapshot;

  public MeshConfigStream(
      MeshConfig mesh,
      Duration quietPeriod,
      Duration maxDelay,
      ConfigInputErrors errors,
      MeterRegistry registry,
      LongSupplier nanoClock) {
    this.mesh = mesh;
    this.errors = errors;
    this.snapshot = MeshSnapshot.empty(mesh);
    this.publisher = new SnapshotPublisher(this::current, quietPeriod, maxDelay, nanoClock, registry);
    Gauge.builder("gatehouse.config.snapshot.version", this, MeshConfigStream::version)
        .description("Version of the current mesh snapshot (counts every accepted change)")
        .register(registry);
    for (String kind : KINDS) {
      Gauge.builder("gatehouse.config.objects", this, s -> s.count(kind))
          .description("Objects in the current mesh snapshot, by kind (invalid policies included)")
          .tag("kind", kind)
          .register(registry);
    }
    Gauge.builder("gatehouse.config.invalid.policies", this, s -> s.count(InvalidPolicy.class))
        .description("Istio resources that did not parse; translation fails closed for what they select")
        .register(registry);
  }

  public MeshConfigStream(MeshConfig mesh, Duration quiet, Duration max, ConfigInputErrors errors, MeterRegistry r) {
    this(mesh, quiet, max, errors, r, System::nanoTime);
  }

  /** Stores a parsed object from {@code source} ("file", "kubernetes"). */
  public Outcome upsert(String source, ParseResult.Parsed parsed) {
    return upsert(source, new MeshObjectId(parsed.kind(), parsed.key()), parsed.value());
  }

  public Outcome upsert(String source, MeshObjectId id, Object value) {
    Outcome outcome;
    synchronized (this) {
      Object previous = objects.get(id);
      if (value.equals(previous)) {
        return Outcome.UNCHANGED;
      }
      if (value instanceof InvalidPolicy invalid) {
        boolean keep = previous != null && !(previous instanceof InvalidPolicy);
        errors.report(
            source,
            Reason.INVALID_SPEC,
            invalid.meta().describe(),
            invalid.reason()
                + (keep
                    ? "; keeping its previous valid version"
                    : "; recorded as invalid, so the workloads it selects fail closed"));
        if (keep) {
          return Outcome.KEPT_PREVIOUS;
        }
        outcome = Outcome.ADDED_INVALID;
      } else {
        outcome = previous == null ? Outcome.ADDED : Outcome.UPDATED;
      }
      changedSinceSnapshot.putIfAbsent(id, previous == null ? ABSENT : previous);
      objects.put(id, value);
      version++;
    }
    publisher.changed();
    return outcome;
  }

  public Outcome delete(MeshObjectId id) {
    synchronized (this) {
      Object previous = objects.remove(id);
      if (previous == null) {
        return Outcome.ABSENT;
      }
      changedSinceSnapshot.putIfAbsent(id, previous);
      version++;
    }
    publisher.changed();
    return Outcome.DELETED;
  }

  public synchronized boolean contains(MeshObjectId id) {
    return objects.containsKey(id);
  }

  /** The source has delivered its initial state: readiness turns UP and the first snapshot is pushed. */
  public void initialSyncDone() {
    MeshSnapshot first = current();
    publisher.open();
    initialSync.complete(first);
  }

  /** Completes with the first complete snapshot once the source's initial sync is done. */
  public CompletionStage<MeshSnapshot> initialSync() {
    return initialSync.copy();
  }

  public boolean synced() {
    return initialSync.isDone();
  }

  /**
   * The snapshot of the current state; built at most once per version, derived from the previous one: only the
   * objects changed since are replaced, and the kinds none of them belongs to are shared with it (so building and
   * translating it cost in proportion to what changed).
   */
  public synchronized MeshSnapshot current() {
    if (snapshot.version() != version) {
      MeshSnapshot.Builder b = snapshot.toBuilder(version);
      changedSinceSnapshot.forEach((id, previous) -> {
        if (previous != ABSENT) {
          b.remove(previous);
        }
        Object now = objects.get(id);
        if (now != null) {
          b.add(now);
        }
      });
      changedSinceSnapshot.clear();
      snapshot = b.build();
    }
    return snapshot;
  }

  public synchronized long version() {
    return version;
  }

  /** Objects by kind, invalid policies included under their kind. */
  public synchronized Map<String, Integer> countsByKind() {
    Map<String, Integer> counts = new TreeMap<>();
    for (MeshObjectId id : objects.keySet()) {
      counts.merge(id.kind(), 1, Integer::sum);
    }
    return counts;
  }

  /**
   * Subscribes to snapshots. The subscriber runs on the push thread and sees only the latest snapshot at each push,
   * starting with the first complete one after the initial sync.
   */
  public void subscribe(Consumer<MeshSnapshot> subscriber) {
    publisher.subscribe(subscriber);
  }

  public MeshConfig mesh() {
    return mesh;
  }

  private synchronized int count(String kind) {
    int n = 0;
    for (MeshObjectId id : objects.keySet()) {
      if (id.kind().equals(kind)) {
        n++;
      }
    }
    return n;
  }

  private synchronized int count(Class<?> type) {
    int n = 0;
    for (Object o : objects.values()) {
      if (type.isInstance(o)) {
        n++;
      }
    }
    return n;
  }

  @Override
  public void close() {
    publisher.close();
  }
}
