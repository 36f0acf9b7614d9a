package dev.gatehouse.controlplane.ca;

import dev.gatehouse.ca.signer.CertificateSigner;
import dev.gatehouse.ca.signer.TrustBundle;
import java.util.Optional;

/**
 * Publishes the CA's trust bundle where workloads read it: the {@code istio-ca-root-cert} ConfigMaps in Kubernetes
 * mode, {@code <state>/root-cert.pem} in file mode. Republishes on every bundle change. Thread-safe.
 */
public final class TrustDistribution implements AutoCloseable {
  private final CertificateSigner signer;
  private final Optional<TrustBundleConfigMapPublisher> configMaps;
  private final Optional<TrustBundleFilePublisher> file;

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

  /** Starts watching namespaces (Kubernetes) and publishes the current bundle if there is one. */
  public void start() {
    configMaps.ifPresent(TrustBundleConfigMapPublisher::start);
    publish(signer.trustBundle());
  }

  private void publish(TrustBundle bundle) {
    if (bundle == null) {
      return;
    }
    configMaps.ifPresent(TrustBundleConfigMapPublisher::publishAll);
    file.ifPresent(f -> f.publish(bundle));
  }

  public void retryFailed() {
    configMaps.ifPresent(TrustBundleConfigMapPublisher::retryFailed);
  }

  @Override
  public void close() {
    configMaps.ifPresent(TrustBundleConfigMapPublisher::close);
  }
}
