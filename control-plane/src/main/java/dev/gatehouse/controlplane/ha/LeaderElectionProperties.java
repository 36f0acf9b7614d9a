package dev.gatehouse.controlplane.ha;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Leader election for the singleton work (root creation and rotation, trust bundle ConfigMaps), under
 * {@code gatehouse.leader-election}. Kubernetes mode only; in file mode the one process does that work itself.
 * Defaults are client-go's (15 s / 10 s / 2 s).
 *
 * @param leaseName the coordination.k8s.io Lease in the control plane's namespace
 * @param leaseDuration how long a holder's claim lasts after its last renewal; a crashed leader's work resumes on
 *     another replica at most this (plus one retry period) later
 * @param renewDeadline the holder stops all singleton work when it could not renew for this long; shorter than the
 *     lease duration, so it has stopped before anyone else can take the lease
 * @param retryPeriod how often every replica tries to acquire or renew
 * @param identity this replica's name in the Lease; empty = {@code POD_NAME}, else the host name with a random suffix
 */
@ConfigurationProperties("gatehouse.leader-election")
public record LeaderElectionProperties(
    @DefaultValue("gatehouse-leader") String leaseName,
    @DefaultValue("15s") Duration leaseDuration,
    @DefaultValue("10s") Duration renewDeadline,
    @DefaultValue("2s") Duration retryPeriod,
    String identity) {

  public LeaderElectionProperties {
    if (leaseName == null || leaseName.isBlank()) {
      throw new IllegalArgumentException("gatehouse.leader-election.lease-name must not be empty");
    }
    if (retryPeriod.isNegative() || retryPeriod.isZero()) {
      throw new IllegalArgumentException("gatehouse.leader-election.retry-period must be positive, got " + retryPeriod);
    }
    if (renewDeadline.compareTo(retryPeriod) <= 0) {
      throw new IllegalArgumentException("gatehouse.leader-election.renew-deadline (" + renewDeadline
          + ") must be longer than retry-period (" + retryPeriod + ")");
    }
    if (leaseDuration.compareTo(renewDeadline) <= 0) {
      throw new IllegalArgumentException("gatehouse.leader-election.lease-duration (" + leaseDuration
          + ") must be longer than renew-deadline (" + renewDeadline + "): a holder that cannot renew must stop"
          + " before another replica may take the lease");
    }
    identity = identity == null ? "" : identity.trim();
  }
}
