package dev.gatehouse.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class LabelSelectorTest {
  private static final Map<String, String> POD = Map.of("app", "cart", "version", "v1", "team", "shop");

  @Test
  void everySelectorEntryMustBePresentWithTheSameValue() {
    assertThat(LabelSelector.matches(Map.of("app", "cart"), POD)).isTrue();
    assertThat(LabelSelector.matches(Map.of("app", "cart", "version", "v1"), POD)).isTrue();
    assertThat(LabelSelector.matches(POD, POD)).isTrue();
  }

  @Test
  void oneMismatchedOrMissingEntryFailsTheMatch() {
    assertThat(LabelSelector.matches(Map.of("app", "cart", "version", "v2"), POD)).isFalse();
    assertThat(LabelSelector.matches(Map.of("tier", "web"), POD)).isFalse();
    assertThat(LabelSelector.matches(Map.of("app", "cart"), Map.of())).isFalse();
  }

  @Test
  void valuesAreComparedExactlyWithoutWildcardsOrCaseFolding() {
    assertThat(LabelSelector.matches(Map.of("app", "*"), POD)).isFalse();
    assertThat(LabelSelector.matches(Map.of("app", "Cart"), POD)).isFalse();
    assertThat(LabelSelector.matches(Map.of("app", ""), POD)).isFalse();
    assertThat(LabelSelector.matches(Map.of("app", ""), Map.of("app", ""))).isTrue();
  }

  @Test
  void anEmptyPolicySelectorMatchesEveryWorkload() {
    assertThat(LabelSelector.matches(Map.of(), POD)).isTrue();
    assertThat(LabelSelector.matches(Map.of(), Map.of())).isTrue();
  }

  @Test
  void anEmptyServiceSelectorSelectsNoPods() {
    // Kubernetes: a Service without a selector has hand-managed endpoints; it selects no pods.
    assertThat(LabelSelector.serviceSelects(Map.of(), POD)).isFalse();
    assertThat(LabelSelector.serviceSelects(Map.of("app", "cart"), POD)).isTrue();
    assertThat(LabelSelector.serviceSelects(Map.of("app", "web"), POD)).isFalse();
  }
}
