package dev.gatehouse.controlplane.ha;

import java.time.Instant;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * {@code leaderElection} in {@code /actuator/health}: which replica holds the lease and since when, and whether this
 * one does. UP for leader and followers alike (both serve and sign; the component is not in the readiness group);
 * UNKNOWN while this replica cannot read the Lease, with the error.
 */
public final class LeadershipHealthIndicator implements HealthIndicator {
  private final Leadership leadership;

  public LeadershipHealthIndicator(Leadership leadership) {
    this.leadership = leadership;
  }

  @Override
  public Health health() {
    LeaseStatus s = leadership.status();
    String failure = leadership instanceof LeaderLease lease ? lease.lastFailure() : "";
    Health.Builder h = failure.isEmpty() ? Health.up() : Health.unknown().withDetail("error", failure);
    h.withDetail("lease", s.lease())
        .withDetail("thisReplica", s.identity())
        .withDetail("leader", s.leader())
        .withDetail("holder", s.holder());
    detail(h, "holderSince", s.holderSince());
    detail(h, "renewedAt", s.renewedAt());
    detail(h, "leaderSince", s.leaderSince());
    h.withDetail("transitions", s.transitions());
    return h.build();
  }

  private static void detail(Health.Builder h, String key, Instant value) {
    if (value != null) {
      h.withDetail(key, value.toString());
    }
  }
}
