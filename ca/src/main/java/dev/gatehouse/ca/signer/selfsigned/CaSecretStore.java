package dev.gatehouse.ca.signer.selfsigned;

import java.util.Optional;

/**
 * Where the self-signed CA keeps its root and key so that every replica (and every restart) signs with the same
 * one. Implementations are thread-safe and safe across processes: {@link #createIfAbsent} lets exactly one of
 * several racing creators win, and {@link #replace} is a compare-and-swap on the version.
 */
public interface CaSecretStore {
  /** The stored secret, if any. */
  Optional<CaSecret> load();

  /**
   * Stores {@code candidate} unless a secret already exists, and returns the secret stored afterwards: the
   * candidate if this call won, otherwise the winner's (which the caller must adopt).
   */
  CaSecret createIfAbsent(CaSecret candidate);

  /**
   * Replaces the stored secret with {@code updated} if its version is still {@code current.version()}.
   *
   * @return the stored secret, with its new version
   * @throws ConflictException if another writer changed the secret first
   */
  CaSecret replace(CaSecret current, CaSecret updated) throws ConflictException;

  /**
   * Calls {@code onChange} (on the store's own thread) whenever the stored secret may have changed, so replicas adopt
   * a root another replica created or rotated without waiting for their next check. Stores that cannot watch (files)
   * return at once and never call it; callers keep checking periodically anyway. Close the result to stop.
   */
  default AutoCloseable watch(Runnable onChange) {
    return () -> {};
  }

  /** Where the secret lives, for logs ({@code secret istio-system/istio-ca-secret}, a directory). */
  String describe();

  /** Another writer won a compare-and-swap. */
  final class ConflictException extends Exception {
    public ConflictException(String message) {
      super(message);
    }
  }

  /** The store could not be read or written (I/O error, API server down). */
  final class StoreException extends RuntimeException {
    public StoreException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
