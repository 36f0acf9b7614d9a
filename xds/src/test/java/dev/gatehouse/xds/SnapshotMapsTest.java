package dev.gatehouse.xds;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The one-walk comparison gives the answers of {@link Map#equals} and of lookups, sorted or not. */
class SnapshotMapsTest {
  private static Map<String, String> sorted(Map<String, String> m) {
    return Collections.unmodifiableSortedMap(new TreeMap<>(m));
  }

  private static List<String> changes(Map<String, String> a, Map<String, String> b) {
    List<String> out = new ArrayList<>();
    SnapshotMaps.forEachChange(a, b, (o, n) -> out.add(o + "->" + n));
    Collections.sort(out);
    return out;
  }

  @Test
  void sameEntriesComparesKeysAndValuesByIdentityThenEquals() {
    Map<String, String> a = sorted(Map.of("a", "1", "b", "2"));
    assertThat(SnapshotMaps.sameEntries(a, a)).isTrue();
    // Equal but not identical values.
    assertThat(SnapshotMaps.sameEntries(a, sorted(Map.of("a", new String("1"), "b", "2")))).isTrue();
    assertThat(SnapshotMaps.sameEntries(a, sorted(Map.of("a", "1", "b", "3")))).isFalse();
    assertThat(SnapshotMaps.sameEntries(a, sorted(Map.of("a", "1", "c", "2")))).isFalse();
    assertThat(SnapshotMaps.sameEntries(a, sorted(Map.of("a", "1")))).isFalse();
    // Not sorted: the same answers by equals.
    assertThat(SnapshotMaps.sameEntries(a, new HashMap<>(Map.of("a", "1", "b", "2")))).isTrue();
    assertThat(SnapshotMaps.sameEntries(new HashMap<>(a), Map.of("a", "1", "b", "3"))).isFalse();
  }

  @Test
  void forEachChangeReportsAddedRemovedAndChangedOnce() {
    Map<String, String> older = sorted(Map.of("a", "1", "b", "2", "d", "4"));
    Map<String, String> newer = sorted(Map.of("b", "2", "c", "3", "d", "5"));
    assertThat(changes(older, newer)).containsExactly("1->null", "4->5", "null->3");
    assertThat(changes(older, older)).isEmpty();
    assertThat(changes(sorted(Map.of()), newer)).containsExactly("null->2", "null->3", "null->5");
    assertThat(changes(older, sorted(Map.of()))).containsExactly("1->null", "2->null", "4->null");
  }

  @Test
  void sortedWalkAgreesWithLookupsOnRandomMaps() {
    Random r = new Random(12);
    for (int round = 0; round < 200; round++) {
      Map<String, String> a = new HashMap<>();
      Map<String, String> b = new HashMap<>();
      for (int i = 0; i < 30; i++) {
        String k = "k" + r.nextInt(40);
        if (r.nextInt(3) > 0) {
          a.put(k, "v" + r.nextInt(3));
        }
        if (r.nextInt(3) > 0) {
          b.put(k, "v" + r.nextInt(3));
        }
      }
      if (r.nextBoolean()) {
        b = new HashMap<>(a);
      }
      assertThat(changes(sorted(a), sorted(b))).as("round %d", round).isEqualTo(changes(a, b));
      assertThat(SnapshotMaps.sameEntries(sorted(a), sorted(b))).isEqualTo(a.equals(b));
    }
  }
}
