package dev.gatehouse.ca.leader;

import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The cluster-wide work only one replica may do, decided without I/O: creating and rotating the self-signed root,
 * and writing the trust bundle ConfigMaps (istiod runs its root-cert rotator and namespace controller on the elected
 * replica only). Every decision takes whether this replica holds the leader Lease <em>now</em>; without it the answer
 * is always to leave shared state alone. Every replica still reads the shared state and signs with it. Stateless
 * and thread-safe.
 */
public final class SingletonWork {
  private SingletonWork() {}

  /** What to do about the self-signed root. */
  public enum RootStep {
    /** Nothing: the root is there and not due for rotation, or this replica is not the leader. */
    NONE,
    /** No root is stored yet and this replica holds the lease: create it (create-if-absent). */
    CREATE,
    /** Less than the threshold of the root's life remains and this replica holds the lease: re-issue it. */
    ROTATE,
    /** No root is stored yet and the lease is someone else's: wait for the leader to create it. */
    WAIT_FOR_LEADER
  }

  /**
   * @param storedRoot the root in the store (absent before the first leader created one)
   * @param rotationThreshold rotate when less than this fraction of the root's life remains (Istio: 0.2)
   */
  public static RootStep rootStep(boolean holdsLease, Optional<X509Certificate> storedRoot, Instant now,
      double rotationThreshold) {
    if (storedRoot.isEmpty()) {
      return holdsLease ? RootStep.CREATE : RootStep.WAIT_FOR_LEADER;
    }
    X509Certificate root = storedRoot.get();
    if (holdsLease && rotationDue(root.getNotBefore().toInstant(), root.getNotAfter().toInstant(), now, rotationThreshold)) {
      return RootStep.ROTATE;
    }
    return RootStep.NONE;
  }

  /** Istio's rule (selfsignedcarootcertrotator.go): less than {@code threshold} of the validity period remains. */
  public static boolean rotationDue(Instant notBefore, Instant notAfter, Instant now, double threshold) {
    long life = notAfter.toEpochMilli() - notBefore.toEpochMilli();
    long remaining = notAfter.toEpochMilli() - now.toEpochMilli();
    return remaining < life * threshold;
  }

  /** A trust bundle ConfigMap as the API server has it: its {@code root-cert.pem} and whether it carries the label. */
  public record PublishedBundle(String pem, boolean labelled) {}

  /** What to write to one namespace's trust bundle ConfigMap. */
  public enum BundleWrite {
    NONE,
    CREATE,
    /** Put the bundle (and the label) back: the ConfigMap is stale or someone edited it. */
    UPDATE
  }

  /**
   * @param existing the namespace's ConfigMap, absent when there is none
   * @param bundlePem the bundle to publish; null while the CA has none (nothing is written)
   */
  public static BundleWrite bundleWrite(boolean holdsLease, Optional<PublishedBundle> existing, String bundlePem) {
    Objects.requireNonNull(existing, "existing");
    if (!holdsLease || bundlePem == null) {
      return BundleWrite.NONE;
    }
    if (existing.isEmpty()) {
      return BundleWrite.CREATE;
    }
    PublishedBundle published = existing.get();
    return bundlePem.equals(published.pem()) && published.labelled() ? BundleWrite.NONE : BundleWrite.UPDATE;
  }
}
