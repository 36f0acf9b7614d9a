package dev.gatehouse.controlplane.ha;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The drain schedule and its settings; the timed drain of a running replica is in the integration tests. */
class ReplicaDrainTest {
  @Test
  void streamsAreEndedEvenlyOverTheWindowTheFirstAtOnce() {
    Duration window = Duration.ofSeconds(10);
    assertThat(IntStream.range(0, 4).mapToObj(i -> ReplicaDrain.offset(i, 4, window)))
        .containsExactly(Duration.ZERO, Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofMillis(7500));
    assertThat(ReplicaDrain.offset(0, 1, window)).isEqualTo(Duration.ZERO);
    assertThat(ReplicaDrain.offset(999, 1000, window)).isLessThan(window);
    assertThat(ReplicaDrain.offset(3, 4, Duration.ZERO)).isEqualTo(Duration.ZERO);
  }

  @Test
  void negativeDurationsAreRefused() {
    assertThatThrownBy(() -> new DrainProperties(Duration.ofSeconds(-1), Duration.ZERO))
        .hasMessageContaining("gatehouse.drain.window");
    assertThatThrownBy(() -> new DrainProperties(Duration.ZERO, Duration.ofSeconds(-1)))
        .hasMessageContaining("gatehouse.drain.in-flight-timeout");
  }
}
