package dev.gatehouse.controlplane.source;

import java.time.Duration;

/**
 * The debounce decision, as Istio's PILOT_DEBOUNCE_AFTER / PILOT_DEBOUNCE_MAX define it: after a change, wait until
 * no further change arrived for the quiet period, but never longer than the max delay after the first change that
 * has not been pushed yet. Pure: time is passed in (nanoseconds from any fixed origin), so it is tested with plain
 * numbers. Not thread-safe; its owner ({@link SnapshotPublisher}) confines it.
 */
public final class Debounce {
  private final long quietNanos;
  private final long maxNanos;
  private long firstChange;
  private long lastChange;
  private int changes;

  public Debounce(Duration quietPeriod, Duration maxDelay) {
    if (quietPeriod.isNegative() || maxDelay.isNegative()) {
      throw new IllegalArgumentException("debounce durations must not be negative");
    }
    this.quietNanos = quietPeriod.toNanos();
    this.maxNanos = maxDelay.toNanos();
  }

  /** What the owner should do now. */
  public sealed interface Decision {}

  /** Nothing to push. */
  public record Idle() implements Decision {}

  /** Check again at {@code atNanos}. */
  public record WaitUntil(long atNanos) implements Decision {}

  /**
   * Push now. Resets the window.
   *
   * @param delayNanos time from the first change to this decision (Istio's pilot_debounce_time)
   * @param changes how many changes the push merges
   */
  public record Push(long delayNanos, int changes) implements Decision {}

  public void changed(long nowNanos) {
    if (changes == 0) {
      firstChange = nowNanos;
    }
    lastChange = nowNanos;
    changes++;
  }

  /** Forgets pending changes (a push of the latest state has just happened for another reason). */
  public void reset() {
    changes = 0;
  }

  public boolean pending() {
    return changes > 0;
  }

  public Decision decide(long nowNanos) {
    if (changes == 0) {
      return new Idle();
    }
    long sinceFirst = nowNanos - firstChange;
    long quiet = nowNanos - lastChange;
    if (sinceFirst >= maxNanos || quiet >= quietNanos) {
      Push push = new Push(sinceFirst, changes);
      changes = 0;
      return push;
    }
    return new WaitUntil(Math.min(lastChange + quietNanos, firstChange + maxNanos));
  }
}
