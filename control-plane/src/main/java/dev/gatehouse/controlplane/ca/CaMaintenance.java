package dev.gatehouse.controlplane.ca;

import dev.gatehouse.ca.signer.CertificateSigner;
import dev.gatehouse.ca.signer.pluggedin.PluggedInSigner;
import dev.gatehouse.ca.signer.selfsigned.SelfSignedSigner;
import dev.gatehouse.ca.signer.upstream.UpstreamSigner;
import dev.gatehouse.controlplane.grpc.ServingCertificate;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one owner of the CA's timers, on a single thread: initializes the signer (retrying while its store is
 * unreachable), checks the self-signed root for rotation (with jitter, as Istio's rotator), polls plugged-in files
 * for changes, drives upstream signers (Vault, SPIRE: bundle refresh, probing while down, intermediate renewal;
 * every second, each signer decides what is due), renews the gRPC serving certificate, and retries failed
 * trust-bundle publications.
 */
public final class CaMaintenance implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CaMaintenance.class);
  private static final Duration HOUSEKEEPING = Duration.ofSeconds(30);

  private final CertificateSigner signer;
  private final ServingCertificate servingCertificate;
  private final TrustDistribution trustDistribution;
  private final Duration rootCheckInterval;
  private final Duration pluggedInCheckInterval;
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "gatehouse-ca-maintenance");
    t.setDaemon(true);
    return t;
  });
  private volatile boolean initialized;

  public CaMaintenance(CertificateSigner signer, ServingCertificate servingCertificate,
      TrustDistribution trustDistribution, Duration rootCheckInterval, Duration pluggedInCheckInterval) {
    this.signer = signer;
    this.servingCertificate = servingCertificate;
    this.trustDistribution = trustDistribution;
    this.rootCheckInterval = rootCheckInterval;
    this.pluggedInCheckInterval = pluggedInCheckInterval;
  }

  /** Initializes the signer now (so the CA is normally ready when the servers start) and schedules the rest. */
  public void start() {
    initialize();
    if (!initialized) {
      timer.scheduleWithFixedDelay(this::initializeUntilDone, 5, 5, TimeUnit.SECONDS);
    }
    if (signer instanceof SelfSignedSigner selfSigned) {
      long period = rootCheckInterval.toMillis();
      long jitter = ThreadLocalRandom.current().nextLong(Math.max(1, period / 10));
      timer.scheduleWithFixedDelay(() -> guarded("root rotation check", () -> {
        if (initialized) {
          selfSigned.maintain();
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
    timer.scheduleWithFixedDelay(() -> guarded("housekeeping", () -> {
      servingCertificate.renewIfDue();
      trustDistribution.retryFailed();
    }), HOUSEKEEPING.toMillis(), HOUSEKEEPING.toMillis(), TimeUnit.MILLISECONDS);
  }

  public boolean initialized() {
    return initialized;
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
        selfSigned.initialize();
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
    timer.shutdownNow();
  }
}
