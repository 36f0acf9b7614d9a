package dev.gatehouse.controlplane.ha;

import java.time.Clock;
import java.time.Instant;
import java.util.function.Consumer;

/**
 * Whether this replica may do the cluster-wide singleton work now. Asked before every such write (never cached by
 * callers), and announced on change so that work can start or stop at once. Thread-safe.
 */
public interface Leadership {
  /** True only while this replica holds the leader lease (renewed within the renew deadline). */
  boolean holdsLease();

  /** Called with the new value whenever {@link #holdsLease()} changes, on the election's thread. */
  void onChange(Consumer<Boolean> listener);

  LeaseStatus status();

  /** File mode and single-process runs: no Lease, the process is always its own leader. */
  static Leadership standalone(String identity, Clock clock) {
    Instant since = clock.instant();
    LeaseStatus status = new LeaseStatus("none", identity, true, identity, since, null, null, 0, null, since);
    return new Leadership() {
      @Override
      public boolean holdsLease() {
        return true;
      }

      @Override
      public void onChange(Consumer<Boolean> listener) {}

      @Override
      public LeaseStatus status() {
        return status;
      }
    };
  }
}
