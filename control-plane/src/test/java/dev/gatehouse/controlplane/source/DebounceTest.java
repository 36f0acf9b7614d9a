package dev.gatehouse.controlplane.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DebounceTest {
  private static final long MS = 1_000_000L;
  private final Debounce debounce = new Debounce(Duration.ofMillis(100), Duration.ofSeconds(10));

  @Test
  void nothingChangedMeansNothingToPush() {
    assertThat(debounce.decide(5_000 * MS)).isEqualTo(new Debounce.Idle());
  }

  @Test
  void singleChangeIsPushedAfterTheQuietPeriod() {
    debounce.changed(0);

    assertThat(debounce.decide(40 * MS)).isEqualTo(new Debounce.WaitUntil(100 * MS));
    assertThat(debounce.decide(100 * MS)).isEqualTo(new Debounce.Push(100 * MS, 1));
    assertThat(debounce.decide(200 * MS)).isEqualTo(new Debounce.Idle());
  }

  @Test
  void burstIsMergedIntoOnePushAfterTheLastChangeWentQuiet() {
    debounce.changed(0);
    debounce.changed(50 * MS);
    debounce.changed(90 * MS);

    assertThat(debounce.decide(100 * MS)).isEqualTo(new Debounce.WaitUntil(190 * MS));
    assertThat(debounce.decide(189 * MS)).isInstanceOf(Debounce.WaitUntil.class);
    assertThat(debounce.decide(190 * MS)).isEqualTo(new Debounce.Push(190 * MS, 3));
  }

  @Test
  void neverQuietStreamIsPushedAtTheMaxDelay() {
    long t = 0;
    Debounce.Decision decision = new Debounce.Idle();
    int waitsBefore10s = 0;
    // A change every 50 ms never leaves 100 ms of quiet; Istio's PILOT_DEBOUNCE_MAX forces the push.
    for (; t <= 12_000 * MS; t += 50 * MS) {
      debounce.changed(t);
      decision = debounce.decide(t);
      if (decision instanceof Debounce.Push) {
        break;
      }
      waitsBefore10s++;
    }
    assertThat(t).isEqualTo(10_000 * MS);
    assertThat(decision).isEqualTo(new Debounce.Push(10_000 * MS, 201));
    assertThat(waitsBefore10s).isEqualTo(200);
  }

  @Test
  void waitNeverExtendsBeyondTheMaxDelay() {
    debounce.changed(0);
    debounce.changed(9_950 * MS);

    assertThat(debounce.decide(9_960 * MS)).isEqualTo(new Debounce.WaitUntil(10_000 * MS));
  }

  @Test
  void aChangeAfterAPushOpensANewWindow() {
    debounce.changed(0);
    assertThat(debounce.decide(100 * MS)).isInstanceOf(Debounce.Push.class);

    debounce.changed(20_000 * MS);
    assertThat(debounce.decide(20_050 * MS)).isEqualTo(new Debounce.WaitUntil(20_100 * MS));
    assertThat(debounce.decide(20_100 * MS)).isEqualTo(new Debounce.Push(100 * MS, 1));
  }

  @Test
  void zeroQuietPeriodPushesEveryChangeAtOnce() {
    Debounce immediate = new Debounce(Duration.ZERO, Duration.ofSeconds(10));
    immediate.changed(7);

    assertThat(immediate.decide(7)).isEqualTo(new Debounce.Push(0, 1));
  }

  @Test
  void resetDropsPendingChanges() {
    debounce.changed(0);
    debounce.reset();

    assertThat(debounce.pending()).isFalse();
    assertThat(debounce.decide(500 * MS)).isEqualTo(new Debounce.Idle());
  }
}
