package dev.gatehouse.controlplane.ha;

import java.time.Duration;
import java.time.Instant;

/**
 * Who holds the leader Lease, as this replica last saw it: what {@code /debug/leaderz} and the
 * {@code leaderElection} health component show. Times are null when unknown.
 *
 * @param lease {@code <namespace>/<name>}, or "none" in file mode (no Kubernetes, the process is its own leader)
 * @param identity this replica's identity
 * @param leader whether this replica holds the lease now (and so does the singleton work)
 * @param holder the identity the Lease names; empty when nobody holds it
 * @param holderSince when the holder acquired it
 * @param renewedAt the holder's last renewal
 * @param leaseDuration how long the holder's claim lasts after a renewal
 * @param transitions how often the Lease changed hands
 * @param observedAt when this replica last read or wrote the Lease
 * @param leaderSince when this replica last became the leader (null while it is not)
 */
public record LeaseStatus(
    String lease,
    String identity,
    boolean leader,
    String holder,
    Instant holderSince,
    Instant renewedAt,
    Duration leaseDuration,
    int transitions,
    Instant observedAt,
    Instant leaderSince) {}
