package dev.gatehouse.xds;

import java.util.List;

/**
 * A memo key made of object references, compared by identity ({@code ==}), not by {@code equals}. For inputs that are
 * themselves memoized instances (policy filter lists, shared protobuf messages): comparing them by reference costs
 * nothing, where {@code equals} on a message walks it whole. Two keys of different instances with equal content are
 * different keys, which only loses sharing, never mixes up content. Immutable.
 */
final class IdentityKey {
  private final Object[] parts;
  private final int hash;

  IdentityKey(List<?> parts) {
    this.parts = parts.toArray();
    int h = 1;
    for (Object o : this.parts) {
      h = 31 * h + System.identityHashCode(o);
    }
    this.hash = h;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof IdentityKey k) || k.hash != hash || k.parts.length != parts.length) {
      return false;
    }
    for (int i = 0; i < parts.length; i++) {
      if (parts[i] != k.parts[i]) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    return hash;
  }
}
