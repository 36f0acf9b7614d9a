package dev.gatehouse.controlplane.ha;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfig;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElector;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaderElectionRecord;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.Lock;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * The one owner of the leader Lease ({@code coordination.k8s.io/v1}, in the control plane's namespace), elected with
 * fabric8's {@link LeaderElector}. Every replica runs the election; the holder does the singleton work.
 *
 * <p>{@link #holdsLease()} is stricter than fabric8's own view: it is true only while the last successful renewal
 * <em>started</em> less than the renew deadline ago, so a renewal stuck in a slow API call, or an elector thread that
 * is not scheduled, cannot stretch the claim; and the renew deadline is shorter than the lease duration, so this
 * replica has stopped before another one may acquire the lease. A watchdog re-evaluates it every 100 ms and tells the
 * listeners at once. After losing the lease the replica rejoins the election as a candidate. On shutdown it stops
 * the work first and then releases the lease, so a successor takes over within one retry period instead of waiting
 * for the lease to expire.
 *
 * <p>Thread-safety: fabric8's calls run on one elector thread; listeners are called on the watchdog thread, in order;
 * the rest is volatile or guarded by {@code this}.
 */
public final class LeaderLease implements Leadership, SmartLifecycle, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LeaderLease.class);
  private static final long WATCHDOG_MILLIS = 100;

  private final KubernetesClient client;
  private final String namespace;
  private final LeaderElectionProperties properties;
  private final String identity;
  private final Clock clock;
  private final ExecutorService electorThread = Executors.newSingleThreadExecutor(r -> daemon(r, "gatehouse-leader-election"));
  private final ScheduledExecutorService watchdog =
      Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "gatehouse-leader-watchdog"));
  private final List<Consumer<Boolean>> listeners = new CopyOnWriteArrayList<>();
  private final AtomicInteger restartedGeneration = new AtomicInteger();

  private CompletableFuture<?> election;
  private int generation;
  private boolean running;
  private boolean closed;

  private volatile boolean leading;
  private volatile long renewStartedNanos;
  private volatile boolean reported;
  private volatile LeaderElectionRecord observed;
  private volatile Instant observedAt;
  private volatile Instant leaderSince;
  private volatile String lastFailure = "";

  public LeaderLease(KubernetesClient client, String namespace, LeaderElectionProperties properties, String identity,
      Clock clock) {
    this.client = Objects.requireNonNull(client, "client");
    this.namespace = Objects.requireNonNull(namespace, "namespace");
    this.properties = Objects.requireNonNull(properties, "properties");
    this.identity = Objects.requireNonNull(identity, "identity");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  /** Joins the election (idempotent). Called at bean creation, so the first leader acts before the servers start. */
  @Override
  public synchronized void start() {
    if (running || closed) {
      return;
    }
    running = true;
    log.info("leader election: lease {}/{} as {} (lease {}, renew deadline {}, retry {})", namespace,
        properties.leaseName(), identity, properties.leaseDuration(), properties.renewDeadline(), properties.retryPeriod());
    watchdog.scheduleWithFixedDelay(this::evaluate, WATCHDOG_MILLIS, WATCHDOG_MILLIS, TimeUnit.MILLISECONDS);
    elect();
  }

  private synchronized void elect() {
    if (closed) {
      return;
    }
    int gen = ++generation;
    LeaderCallbacks callbacks = new LeaderCallbacks(() -> startedLeading(), () -> stoppedLeading(gen), this::newLeader);
    LeaderElectionConfig config = new LeaderElectionConfig(new ObservedLock(new LeaseLock(namespace, properties.leaseName(), identity)),
        properties.leaseDuration(), properties.renewDeadline(), properties.retryPeriod(), callbacks, true, "gatehouse");
    CompletableFuture<?> started = new LeaderElector(client, config, electorThread).start();
    election = started;
    started.whenComplete((ok, failure) -> {
      Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
      if (cause != null && !(cause instanceof CancellationException)) {
        log.warn("leader election round ended with an error: {}", cause.toString());
      }
      rejoin(gen);
    });
  }

  /** After a lost lease (or a round that ended), stand again as a candidate: once per round. */
  private void rejoin(int gen) {
    if (restartedGeneration.getAndSet(gen) == gen) {
      return;
    }
    synchronized (this) {
      if (closed || gen != generation) {
        return;
      }
      CompletableFuture<?> old = election;
      if (old != null) {
        old.cancel(true);
      }
    }
    try {
      watchdog.schedule(this::elect, properties.retryPeriod().toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // closing
    }
  }

  private void startedLeading() {
    leading = true;
    leaderSince = clock.instant();
    watchdog.execute(this::evaluate);
  }

  private void stoppedLeading(int gen) {
    leading = false;
    leaderSince = null;
    try {
      watchdog.execute(this::evaluate);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // closing: close() has told the listeners already
    }
    rejoin(gen);
  }

  private void newLeader(String holder) {
    log.info("leader lease {}/{} is held by {}{}", namespace, properties.leaseName(),
        holder == null || holder.isEmpty() ? "nobody" : holder, identity.equals(holder) ? " (this replica)" : "");
  }

  @Override
  public boolean holdsLease() {
    return leading && System.nanoTime() - renewStartedNanos < properties.renewDeadline().toNanos();
  }

  /** Tells the listeners when {@link #holdsLease()} changed; on the watchdog thread only. */
  private void evaluate() {
    boolean now = holdsLease();
    if (now == reported) {
      return;
    }
    reported = now;
    if (now) {
      log.info("this replica ({}) holds the leader lease: doing the singleton work", identity);
    } else {
      log.warn("this replica ({}) no longer holds the leader lease{}: singleton work stopped", identity,
          leading ? " (no successful renewal within " + properties.renewDeadline() + ")" : "");
    }
    for (Consumer<Boolean> listener : listeners) {
      try {
        listener.accept(now);
      } catch (RuntimeException e) {
        log.error("leadership listener failed", e);
      }
    }
  }

  @Override
  public void onChange(Consumer<Boolean> listener) {
    listeners.add(Objects.requireNonNull(listener));
  }

  @Override
  public LeaseStatus status() {
    LeaderElectionRecord record = observed;
    boolean leader = holdsLease();
    return new LeaseStatus(
        namespace + "/" + properties.leaseName(),
        identity,
        leader,
        record == null || record.getHolderIdentity() == null ? "" : record.getHolderIdentity(),
        record == null || record.getAcquireTime() == null ? null : record.getAcquireTime().toInstant(),
        record == null || record.getRenewTime() == null ? null : record.getRenewTime().toInstant(),
        record == null ? properties.leaseDuration() : record.getLeaseDuration(),
        record == null ? 0 : record.getLeaderTransitions(),
        observedAt,
        leader ? leaderSince : null);
  }

  /** The last error talking to the Lease ("" after a success), for health details. */
  public String lastFailure() {
    return lastFailure;
  }

  @Override
  public void stop() {
    close();
  }

  @Override
  public synchronized boolean isRunning() {
    return running && !closed;
  }

  /** Stops first of all on shutdown: the singleton work moves to another replica while this one drains. */
  @Override
  public int getPhase() {
    return Integer.MAX_VALUE;
  }

  /** Stops the singleton work, then releases the lease (one API call) and leaves the election. */
  @Override
  public void close() {
    CompletableFuture<?> current;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      current = election;
    }
    boolean wasLeader = holdsLease();
    leading = false;
    try {
      watchdog.submit(this::evaluate).get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      evaluate();
    }
    if (current != null) {
      // fabric8 releases the lease (holder cleared) while cancelling, on this thread.
      current.cancel(true);
    }
    if (wasLeader) {
      log.info("leader lease {}/{} released", namespace, properties.leaseName());
    }
    watchdog.shutdownNow();
    electorThread.shutdownNow();
  }

  /**
   * fabric8's LeaseLock, watched: records the Lease as last read or written (for {@link #status()}) and when a
   * renewal by this replica started, and logs failures itself (fabric8's elector logs each at ERROR with a stack
   * trace every retry period; its logger is turned down in application.yaml).
   */
  private final class ObservedLock implements Lock {
    private final Lock delegate;

    ObservedLock(Lock delegate) {
      this.delegate = delegate;
    }

    @Override
    public LeaderElectionRecord get(KubernetesClient c) {
      try {
        LeaderElectionRecord record = delegate.get(c);
        observe(record);
        return record;
      } catch (KubernetesClientException e) {
        throw failed("read", e);
      }
    }

    @Override
    public void create(KubernetesClient c, LeaderElectionRecord record) {
      long started = System.nanoTime();
      try {
        delegate.create(c, record);
      } catch (KubernetesClientException e) {
        throw failed("create", e);
      }
      renewed(started, record);
    }

    @Override
    public void update(KubernetesClient c, LeaderElectionRecord record) {
      long started = System.nanoTime();
      try {
        delegate.update(c, record);
      } catch (KubernetesClientException e) {
        throw failed("update", e);
      }
      if (identity.equals(record.getHolderIdentity())) {
        renewed(started, record);
      } else {
        observe(record);
      }
    }

    private void renewed(long startedNanos, LeaderElectionRecord record) {
      renewStartedNanos = startedNanos;
      observe(record);
    }

    private void observe(LeaderElectionRecord record) {
      observed = record;
      observedAt = clock.instant();
      lastFailure = "";
    }

    private KubernetesClientException failed(String what, KubernetesClientException e) {
      String message = "cannot " + what + " lease " + namespace + "/" + properties.leaseName() + ": "
          + (e.getCode() == 409 ? "another replica changed it first (409)" : e.getMessage());
      if (!message.equals(lastFailure)) {
        if (e.getCode() == 409) {
          log.info(message);
        } else {
          log.warn(message);
        }
      }
      lastFailure = message;
      return e;
    }

    @Override
    public String identity() {
      return delegate.identity();
    }

    @Override
    public String describe() {
      return delegate.describe();
    }
  }
}
