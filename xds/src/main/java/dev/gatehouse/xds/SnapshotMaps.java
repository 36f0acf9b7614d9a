package dev.gatehouse.xds;

import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.function.BiConsumer;

/**
 * Comparing two snapshots' object maps in one walk. A snapshot's maps are sorted by key, and a source builds the next
 * snapshot from the same object instances where nothing changed, so most values compare by identity: the walk costs a
 * pointer comparison per object instead of a lookup (a tree search of string comparisons) and a deep {@code equals}.
 * Maps that are not both naturally sorted fall back to {@link Map#equals} and lookups (same answer, slower).
 */
final class SnapshotMaps {
  private SnapshotMaps() {}

  /** Whether {@code a} and {@code b} hold the same keys with equal values. */
  static <K, V> boolean sameEntries(Map<K, V> a, Map<K, V> b) {
    if (a == b) {
      return true;
    }
    if (a.size() != b.size()) {
      return false;
    }
    if (!naturallySorted(a) || !naturallySorted(b)) {
      return a.equals(b);
    }
    Iterator<Map.Entry<K, V>> ia = a.entrySet().iterator();
    Iterator<Map.Entry<K, V>> ib = b.entrySet().iterator();
    while (ia.hasNext()) {
      Map.Entry<K, V> ea = ia.next();
      Map.Entry<K, V> eb = ib.next();
      if (!same(ea.getKey(), eb.getKey()) || !same(ea.getValue(), eb.getValue())) {
        return false;
      }
    }
    return true;
  }

  /**
   * Calls {@code changed} with (old, new) for every key whose value differs: added (old null), removed (new null)
   * or not equal.
   */
  @SuppressWarnings("unchecked")
  static <K extends Comparable<K>, V> void forEachChange(Map<K, V> older, Map<K, V> newer, BiConsumer<V, V> changed) {
    if (older == newer) {
      return;
    }
    if (!naturallySorted(older) || !naturallySorted(newer)) {
      older.forEach((k, v) -> {
        V n = newer.get(k);
        if (!same(v, n)) {
          changed.accept(v, n);
        }
      });
      newer.forEach((k, v) -> {
        if (!older.containsKey(k)) {
          changed.accept(null, v);
        }
      });
      return;
    }
    Iterator<Map.Entry<K, V>> io = older.entrySet().iterator();
    Iterator<Map.Entry<K, V>> in = newer.entrySet().iterator();
    Map.Entry<K, V> eo = io.hasNext() ? io.next() : null;
    Map.Entry<K, V> en = in.hasNext() ? in.next() : null;
    while (eo != null || en != null) {
      int c = eo == null ? 1 : en == null ? -1 : eo.getKey().compareTo(en.getKey());
      if (c < 0) {
        changed.accept(eo.getValue(), null);
        eo = io.hasNext() ? io.next() : null;
      } else if (c > 0) {
        changed.accept(null, en.getValue());
        en = in.hasNext() ? in.next() : null;
      } else {
        if (!same(eo.getValue(), en.getValue())) {
          changed.accept(eo.getValue(), en.getValue());
        }
        eo = io.hasNext() ? io.next() : null;
        en = in.hasNext() ? in.next() : null;
      }
    }
  }

  private static boolean same(Object a, Object b) {
    return a == b || Objects.equals(a, b);
  }

  private static boolean naturallySorted(Map<?, ?> m) {
    return m instanceof SortedMap<?, ?> s && s.comparator() == null;
  }
}
