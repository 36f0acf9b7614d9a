package dev.gatehouse.controlplane.ca;

import dev.gatehouse.ca.signer.CertificateSigner;
import dev.gatehouse.ca.signer.TrustBundle;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes the CA's trust bundle where workloads read it: the {@code istio-ca-root-cert} ConfigMaps in Kubernetes
 * mode, {@code <state>/root-cert.pem} in file mode. Republishes on every bundle change (self-signed rotation, a
 * plugged-in reload, an upstream CA's bundle refresh). The ConfigMaps are cluster-wide singleton work: they are
 * watched and written only while this replica holds the leader lease ({@link #leadershipChanged}); every replica
 * still keeps its own in-memory bundle current. Thread-safe.
 */
public final class TrustDistribution implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TrustDistribution.class);
  private final CertificateSigner signer;
  private final Optional<TrustBundleConfigMapPublisher> configMaps;
  private final Optional<TrustBundleFilePublisher> file;
  private boolean started;
  private boolean leader;

  private TrustDistribution(CertificateSigner signer, Optional<TrustBundleConfigMapPublisher> configMaps,
      Optional<TrustBundleFilePublisher> file) {
    this.signer = signer;
    this.configMaps = configMaps;
    this.file = file;
    signer.onTrustBundleChange(this::publish);
  }

  public static TrustDistribution toConfigMaps(CertificateSigner signer, TrustBundleConfigMapPublisher publisher) {
    return new TrustDistribution(signer, Optional.of(publisher), Optional.empty());
  }

  public static TrustDistribution toFile(CertificateSigner signer, TrustBundleFilePublisher publisher) {
    return new TrustDistribution(signer, Optional.empty(), Optional.of(publisher));
  }

  /** The CA has a bundle: publishes it (ConfigMaps only if this replica leads, see {@link #leadershipChanged}). */
  public synchronized void start() {
    started = true;
    if (leader) {
      configMaps.ifPresent(TrustDistribution::startWatching);
    }
    publish(signer.trustBundle());
  }

  /** Starting the informers lists namespaces; an unreachable API server is retried by {@link #retryFailed()}. */
  private static void startWatching(TrustBundleConfigMapPublisher publisher) {
    try {
      publisher.start();
    } catch (KubernetesClientException e) {
      log.warn("cannot watch namespaces for the trust bundle ConfigMaps yet (retrying): {}", e.getMessage());
    }
  }

  /**
   * Gained: watch namespaces and reconcile every ConfigMap (a new leader repairs whatever changed while nobody led).
   * Lost: stop watching; {@link TrustBundleConfigMapPublisher} already refuses every write without the lease.
   */
  public synchronized void leadershipChanged(boolean holdsLease) {
    leader = holdsLease;
    if (configMaps.isEmpty() || !started) {
      return;
    }
    if (holdsLease) {
      startWatching(configMaps.get());
      configMaps.get().publishAll();
    } else {
      configMaps.get().close();
    }
  }

  private void publish(TrustBundle bundle) {
    if (bundle == null) {
      return;
    }
    configMaps.ifPresent(TrustBundleConfigMapPublisher::publishAll);
    file.ifPresent(f -> f.publish(bundle));
  }

  /** Retries failed writes; restarts the watches if starting them failed (API server unreachable). */
  public synchronized void retryFailed() {
    configMaps.ifPresent(p -> {
      if (leader && started && !p.isStarted()) {
        startWatching(p);
        p.publishAll();
      }
      p.retryFailed();
    });
  }

  @Override
  public void close() {
    configMaps.ifPresent(TrustBundleConfigMapPublisher::close);
  }
}
