package dev.gatehouse.xds;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Iterator;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * An unmodifiable, name-sorted view of a large shared map (a namespace's outbound resources) with a few per-proxy
 * entries on top (its inbound listener and clusters), so that a thousand proxies do not each copy thousands of
 * shared entries. Overlay entries win on equal keys. Immutable when both maps are; thread-safe then.
 */
final class SortedOverlay<V> extends AbstractMap<String, V> {
  private final NavigableMap<String, V> base;
  private final NavigableMap<String, V> overlay;
  private final int size;

  SortedOverlay(NavigableMap<String, V> base, NavigableMap<String, V> overlay) {
    this.base = base;
    this.overlay = overlay;
    int shadowed = 0;
    for (String k : overlay.keySet()) {
      if (base.containsKey(k)) {
        shadowed++;
      }
    }
    this.size = base.size() + overlay.size() - shadowed;
  }

  @Override
  public V get(Object key) {
    V v = overlay.get(key);
    return v != null ? v : base.get(key);
  }

  @Override
  public boolean containsKey(Object key) {
    return overlay.containsKey(key) || base.containsKey(key);
  }

  @Override
  public int size() {
    return size;
  }

  @Override
  public Set<Entry<String, V>> entrySet() {
    return new AbstractSet<>() {
      @Override
      public int size() {
        return size;
      }

      @Override
      public Iterator<Entry<String, V>> iterator() {
        return new Iterator<>() {
          private final Iterator<Entry<String, V>> a = base.entrySet().iterator();
          private final Iterator<Entry<String, V>> b = overlay.entrySet().iterator();
          private Entry<String, V> nextA = advance(a);
          private Entry<String, V> nextB = advance(b);

          private Entry<String, V> advance(Iterator<Entry<String, V>> it) {
            return it.hasNext() ? it.next() : null;
          }

          @Override
          public boolean hasNext() {
            return nextA != null || nextB != null;
          }

          @Override
          public Entry<String, V> next() {
            if (!hasNext()) {
              throw new NoSuchElementException();
            }
            Entry<String, V> out;
            if (nextB == null || (nextA != null && nextA.getKey().compareTo(nextB.getKey()) < 0)) {
              out = nextA;
              nextA = advance(a);
            } else {
              if (nextA != null && nextA.getKey().equals(nextB.getKey())) {
                nextA = advance(a); // shadowed by the overlay
              }
              out = nextB;
              nextB = advance(b);
            }
            return Map.entry(out.getKey(), out.getValue());
          }
        };
      }
    };
  }
}
