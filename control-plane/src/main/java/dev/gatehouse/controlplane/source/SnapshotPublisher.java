package dev.gatehouse.controlplane.source;

import dev.gatehouse.model.MeshSnapshot;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the debounce timer and the push: one thread ("gatehouse-config-push") decides when to push and calls every
 * subscriber with the latest snapshot, in order, one push at a time. Subscribers only ever see the newest snapshot
 * at push time; intermediate versions are dropped. Nothing is pushed before {@link #open()} (the initial sync).
 *
 * <p>Thread-safe: {@link #changed()} and {@link #subscribe} may be called from any thread; subscriber callbacks run
 * only on the push thread, so a subscriber never sees two calls at once. A slow subscriber delays the next push
 * rather than queueing versions.
 */
public final class SnapshotPublisher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SnapshotPublisher.class);
  private static final java.time.Duration[] DEBOUNCE_BUCKETS = {
      java.time.Duration.ofMillis(10), java.time.Duration.ofMillis(100), java.time.Duration.ofSeconds(1),
      java.time.Duration.ofSeconds(3), java.time.Duration.ofSeconds(5), java.time.Duration.ofSeconds(10),
      java.time.Duration.ofSeconds(20), java.time.Duration.ofSeconds(30)};

  private final Supplier<MeshSnapshot> latest;
  private final LongSupplier nanoClock;
  private final long quietNanos;
  private final ScheduledExecutorService timer;
  private final List<Subscription> subscriptions = new CopyOnWriteArrayList<>();
  private final Timer debounceTime;
  private final Counter pushes;

  // Guarded by this.
  private final Debounce debounce;
  private ScheduledFuture<?> check;
  private boolean open;

  public SnapshotPublisher(
      Supplier<MeshSnapshot> latest,
      java.time.Duration quietPeriod,
      java.time.Duration maxDelay,
      LongSupplier nanoClock,
      MeterRegistry registry) {
    this.latest = latest;
    this.nanoClock = nanoClock;
    this.debounce = new Debounce(quietPeriod, maxDelay);
    this.quietNanos = quietPeriod.toNanos();
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "gatehouse-config-push");
              t.setDaemon(true);
              return t;
            });
    this.debounceTime =
        // Istio's name and buckets (pilot/pkg/xds/monitoring.go); exported in seconds without a unit suffix
        // (IstioMetricNaming).
        Timer.builder("pilot_debounce_time")
            .description("Delay in seconds between the first config change entering debouncing and the merged push")
            .serviceLevelObjectives(DEBOUNCE_BUCKETS)
            .register(registry);
    this.pushes =
        Counter.builder("gatehouse.config.pushes")
            .description("Snapshots pushed to subscribers after debounce")
            .register(registry);
  }

  /** Records one change; a push follows after the debounce window. */
  public synchronized void changed() {
    debounce.changed(nanoClock.getAsLong());
    if (open && check == null) {
      check = timer.schedule(this::check, quietNanos, TimeUnit.NANOSECONDS);
    }
  }

  /** Starts pushing: the current snapshot goes out now, later changes after debounce. */
  public synchronized void open() {
    if (open) {
      return;
    }
    open = true;
    debounce.reset();
    timer.execute(this::push);
  }

  /** Adds a subscriber. Once open, it receives the current snapshot at once, then every later push. */
  public void subscribe(Consumer<MeshSnapshot> subscriber) {
    Subscription s = new Subscription(subscriber);
    subscriptions.add(s);
    synchronized (this) {
      if (open) {
        timer.execute(() -> deliver(s, latest.get()));
      }
    }
  }

  private void check() {
    Debounce.Decision decision;
    synchronized (this) {
      check = null;
      long now = nanoClock.getAsLong();
      decision = debounce.decide(now);
      if (decision instanceof Debounce.WaitUntil w) {
        check = timer.schedule(this::check, Math.max(0, w.atNanos() - now), TimeUnit.NANOSECONDS);
      }
    }
    if (decision instanceof Debounce.Push p) {
      debounceTime.record(p.delayNanos(), TimeUnit.NANOSECONDS);
      push();
    }
  }

  private void push() {
    MeshSnapshot snapshot;
    try {
      snapshot = latest.get();
    } catch (RuntimeException e) {
      log.error("Could not build the mesh snapshot; subscribers keep the previous one", e);
      return;
    }
    pushes.increment();
    for (Subscription s : subscriptions) {
      deliver(s, snapshot);
    }
  }

  private void deliver(Subscription s, MeshSnapshot snapshot) {
    if (snapshot.version() <= s.lastVersion) {
      return;
    }
    s.lastVersion = snapshot.version();
    try {
      s.consumer.accept(snapshot);
    } catch (RuntimeException e) {
      log.error("Snapshot subscriber {} failed on version {}", s.consumer, snapshot.version(), e);
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }

  /** Confined to the push thread after construction. */
  private static final class Subscription {
    final Consumer<MeshSnapshot> consumer;
    long lastVersion = -1;

    Subscription(Consumer<MeshSnapshot> consumer) {
      this.consumer = consumer;
    }
  }
}
