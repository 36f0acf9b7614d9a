package dev.gatehouse.controlplane.ca;

import dev.gatehouse.ca.signer.CertificateSigner;
import dev.gatehouse.ca.signer.OverlappingTrustSigner;
import dev.gatehouse.ca.signer.pluggedin.PluggedInSigner;
import dev.gatehouse.ca.signer.selfsigned.SelfSignedSigner;
import dev.gatehouse.ca.signer.upstream.UpstreamSigner;
import dev.gatehouse.controlplane.grpc.ServingCertificate;
import dev.gatehouse.controlplane.ha.Leadership;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one owner of the CA's timers, on a single thread: initializes the signer (retrying while its store is
 * unreachable or, on a follower, until the leader has created the root), checks the self-signed root for rotation
 * (with jitter, as Istio's rotator), adopts a root another replica stored as soon as the store reports a change,
 * polls plugged-in files for changes, drives upstream signers (Vault, SPIRE: bundle refresh, probing while down,
 * intermediate renewal; every second, each signer decides what is due), renews the gRPC serving certificate, retries
 * failed trust-bundle publications, and starts or stops the singleton work when the leader lease changes hands. What
 * the singleton work is, is decided by {@code SingletonWork} (ca module) with {@link Leadership#holdsLease()} as it
 * is at that moment.
 */
public final class CaMaintenance implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CaMaintenance.class);
  private static final Duration HOUSEKEEPING = Duration.ofSeconds(30);
  private static final Duration NOT_READY_RETRY = Duration.ofSeconds(2);

  /** The signer as configured; with a mode-switch overlap, the signer behind it (whose timers are driven here). */
  private final CertificateSigner signer;
  private final OverlappingTrustSigner overlap;
  private final ServingCertificate servingCertificate;
  private final TrustDistribution trustDistribution;
  private final Leadership leadership;
  private final Duration rootCheckInterval;
  private final Duration pluggedInCheckInterval;
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "gatehouse-ca-maintenance");
    t.setDaemon(true);
    return t;
  });
  private volatile boolean initialized;
  private AutoCloseable storeWatch;

  public CaMaintenance(CertificateSigner signer, ServingCertificate servingCertificate,
      TrustDistribution trustDistribution, Leadership leadership, Duration rootCheckInterval,
      Duration pluggedInCheckInterval) {
    this.signer = OverlappingTrustSigner.base(signer);
    this.overlap = signer instanceof OverlappingTrustSigner o ? o : null;
    this.servingCertificate = servingCertificate;
    this.trustDistribution = trustDistribution;
    this.leadership = leadership;
    this.rootCheckInterval = rootCheckInterval;
    this.pluggedInCheckInterval = pluggedInCheckInterval;
  }

  /** Initializes the signer now (so the CA is normally ready when the servers start) and schedules the rest. */
  public void start() {
    leadership.onChange(holds -> run("leadership change", () -> leadershipChanged(holds)));
    if (signer instanceof SelfSignedSigner selfSigned) {
      storeWatch = selfSigned.watchStore(() -> run("root adoption", this::adoptStoredRoot));
    }
    trustDistribution.leadershipChanged(leadership.holdsLease());
    initialize();
    if (!initialized) {
      timer.scheduleWithFixedDelay(this::initializeUntilDone, NOT_READY_RETRY.toMillis(), NOT_READY_RETRY.toMillis(),
          TimeUnit.MILLISECONDS);
    }
    if (signer instanceof SelfSignedSigner selfSigned) {
      long period = rootCheckInterval.toMillis();
      long jitter = ThreadLocalRandom.current().nextLong(Math.max(1, period / 10));
      timer.scheduleWithFixedDelay(() -> guarded("root rotation check", () -> {
        if (initialized) {
          log(selfSigned.maintain(leadership.holdsLease()));
        }
      }), period + jitter, period, TimeUnit.MILLISECONDS);
    }
    if (signer instanceof PluggedInSigner pluggedIn) {
      long period = pluggedInCheckInterval.toMillis();
      timer.scheduleWithFixedDelay(() -> guarded("plugged-in CA reload", pluggedIn::reload), period, period, TimeUnit.MILLISECONDS);
    }
    if (signer instanceof UpstreamSigner upstream) {
      timer.scheduleWithFixedDelay(() -> guarded("upstream CA maintenance", () -> {
        upstream.maintain();
        // While the upstream is down the housekeeping tick retries the serving certificate, not every second.
        if (initialized && upstream.health().up()) {
          servingCertificate.renewIfDue();
        }
      }), 1, 1, TimeUnit.SECONDS);
    }
    if (overlap != null) {
      // At the end of the overlap, to the millisecond; housekeeping also catches an overlap root's own NotAfter.
      long delay = Math.max(0, Duration.between(java.time.Instant.now(), overlap.until()).toMillis()) + 1;
      timer.schedule(() -> guarded("end of the CA mode-switch overlap", overlap::endOverlapIfDue), delay,
          TimeUnit.MILLISECONDS);
    }
    timer.scheduleWithFixedDelay(() -> guarded("housekeeping", () -> {
      if (overlap != null) {
        overlap.endOverlapIfDue();
      }
      servingCertificate.renewIfDue();
      adoptStoredRoot();
      trustDistribution.retryFailed();
    }), HOUSEKEEPING.toMillis(), HOUSEKEEPING.toMillis(), TimeUnit.MILLISECONDS);
  }

  public boolean initialized() {
    return initialized;
  }

  private void run(String what, Runnable task) {
    try {
      timer.execute(() -> guarded(what, task));
    } catch (RejectedExecutionException e) {
      // shutting down
    }
  }

  /** Gained: check the root at once (create or rotate if due) and reconcile the ConfigMaps. Lost: stop them. */
  private void leadershipChanged(boolean holdsLease) {
    trustDistribution.leadershipChanged(holdsLease);
    if (holdsLease) {
      if (!initialized) {
        initialize();
      } else if (signer instanceof SelfSignedSigner selfSigned) {
        log(selfSigned.maintain(true));
      }
    }
  }

  /** Every replica: take over a root created or rotated elsewhere; never writes. */
  private void adoptStoredRoot() {
    if (!(signer instanceof SelfSignedSigner selfSigned)) {
      return;
    }
    if (!initialized) {
      initialize();
      return;
    }
    log(selfSigned.maintain(false));
  }

  private static void log(SelfSignedSigner.Maintenance result) {
    if (result == SelfSignedSigner.Maintenance.ADOPTED_FROM_STORE) {
      log.info("self-signed CA: adopted the root stored by the leader");
    }
  }

  private void initializeUntilDone() {
    if (!initialized) {
      initialize();
    }
  }

  private synchronized void initialize() {
    if (initialized) {
      return;
    }
    try {
      if (signer instanceof SelfSignedSigner selfSigned) {
        selfSigned.maintain(leadership.holdsLease());
      } else if (signer instanceof PluggedInSigner pluggedIn) {
        pluggedIn.reload();
      } else if (signer instanceof UpstreamSigner upstream) {
        upstream.maintain();
      }
      if (signer.readiness().ready()) {
        servingCertificate.renewIfDue();
        trustDistribution.start();
        initialized = true;
      }
    } catch (RuntimeException e) {
      log.error("CA not ready yet (retrying): {}", e.getMessage());
    }
  }

  private static void guarded(String what, Runnable task) {
    try {
      task.run();
    } catch (RuntimeException e) {
      log.error("{} failed: {}", what, e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    if (storeWatch != null) {
      try {
        storeWatch.close();
      } catch (Exception e) {
        log.debug("closing the CA secret watch failed", e);
      }
    }
    timer.shutdownNow();
  }
}
