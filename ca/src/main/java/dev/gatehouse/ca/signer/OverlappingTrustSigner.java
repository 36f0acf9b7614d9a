package dev.gatehouse.ca.signer;

import dev.gatehouse.ca.CaException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A signer whose trust bundle also holds roots of another CA, until a fixed instant: the overlap of a mode switch
 * (self-signed to Vault, Vault to SPIRE, any to any). Before the switch, on the old signer, the overlap roots are the
 * next CA's, so every workload trusts the new root before anything presents a certificate under it; after the
 * switch, on the new signer, they are the replaced CA's, so workloads still holding its certificates keep verifying,
 * and keep renewing with them, until each has been re-issued. Signing is the current signer's alone: the overlap
 * roots are only trusted, never signed with.
 *
 * <p>The end of the overlap is an instant, not a duration from start, so every replica ends it at the same moment
 * and a restart does not extend it. An overlap root also leaves at its own NotAfter. When the overlap ends,
 * {@link #endOverlapIfDue()} (called by the maintenance timer) announces the smaller bundle, so the ConfigMaps and
 * the secure port's trust drop the overlap roots.
 *
 * <p>Thread-safe: the merged bundle is recomputed from immutable values and cached by the current bundle's identity.
 */
public final class OverlappingTrustSigner implements CertificateSigner, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(OverlappingTrustSigner.class);

  private final CertificateSigner current;
  private final List<X509Certificate> overlapRoots;
  private final Instant until;
  private final Clock clock;
  private final TrustBundleListeners listeners = new TrustBundleListeners();
  private volatile Merged merged;
  /** How many overlap roots the last announced (or first published) bundle held. */
  private volatile int announcedPrevious;

  private record Merged(TrustBundle own, boolean overlapping, int previousCount, TrustBundle bundle) {}

  /**
   * @param current the signer that signs from now on
   * @param overlapRoots the other CA's roots (CA certificates; at least one)
   * @param until the instant the overlap roots leave the bundle
   */
  public OverlappingTrustSigner(CertificateSigner current, List<X509Certificate> overlapRoots, Instant until, Clock clock) {
    if (overlapRoots.isEmpty()) {
      throw new IllegalArgumentException("an overlap needs at least one root");
    }
    for (X509Certificate root : overlapRoots) {
      if (root.getBasicConstraints() < 0) {
        throw new IllegalArgumentException("overlap root " + root.getSubjectX500Principal().getName()
            + " is not a CA certificate (basicConstraints CA:true missing)");
      }
    }
    this.current = current;
    this.overlapRoots = List.copyOf(overlapRoots);
    this.until = until;
    this.clock = clock;
    this.announcedPrevious = overlapRootsTrusted().size();
    current.onTrustBundleChange(bundle -> {
      announcedPrevious = overlapRootsTrusted().size();
      listeners.fire(trustBundle());
    });
  }

  /** The signer behind the overlap; callers that drive a signer's own maintenance look through the overlap. */
  public static CertificateSigner base(CertificateSigner signer) {
    return signer instanceof OverlappingTrustSigner overlap ? overlap.current : signer;
  }

  public CertificateSigner current() {
    return current;
  }

  public Instant until() {
    return until;
  }

  /** The overlap roots trusted now: none after {@link #until()}, and none past its own NotAfter. */
  public List<X509Certificate> overlapRootsTrusted() {
    Instant now = clock.instant();
    if (!now.isBefore(until)) {
      return List.of();
    }
    return overlapRoots.stream().filter(r -> now.isBefore(r.getNotAfter().toInstant())).toList();
  }

  /**
   * Announces the bundle without the overlap roots once the overlap has ended (or an overlap root expired).
   *
   * @return whether the bundle changed
   */
  public synchronized boolean endOverlapIfDue() {
    int previous = overlapRootsTrusted().size();
    if (previous == announcedPrevious) {
      return false;
    }
    announcedPrevious = previous;
    TrustBundle bundle = trustBundle();
    if (bundle == null) {
      return false;
    }
    if (previous == 0) {
      log.info("CA mode switch: the overlap ended (until {}); the overlap roots left the trust bundle", until);
    } else {
      log.info("CA mode switch: an overlap root expired; {} overlap root(s) stay trusted until {}", previous, until);
    }
    listeners.fire(bundle);
    return true;
  }

  @Override
  public String name() {
    return current.name();
  }

  @Override
  public SignerReadiness readiness() {
    return current.readiness();
  }

  @Override
  public TrustBundle trustBundle() {
    TrustBundle own = current.trustBundle();
    if (own == null) {
      return null;
    }
    List<X509Certificate> previous = overlapRootsTrusted();
    Merged last = merged;
    if (last != null && last.own() == own && last.overlapping() == !previous.isEmpty()
        && last.previousCount() == previous.size()) {
      return last.bundle();
    }
    List<X509Certificate> roots = new ArrayList<>(own.roots());
    roots.addAll(previous);
    Merged next = new Merged(own, !previous.isEmpty(), previous.size(), TrustBundle.of(roots));
    merged = next;
    return next.bundle();
  }

  @Override
  public List<X509Certificate> signingChain() {
    return current.signingChain();
  }

  @Override
  public List<X509Certificate> sign(SigningRequest request) throws CaException {
    return current.sign(request);
  }

  /**
   * The current signer's chain; during the overlap its last element (the root) is the whole bundle, current roots
   * first, so an agent that takes its roots from the CSR answer (istio-agent without a mounted root) keeps trusting
   * peers that hold certificates of the other CA. {@link #sign} keeps one certificate per element.
   */
  @Override
  public IssuedChain issue(SigningRequest request) throws CaException {
    IssuedChain chain = current.issue(request);
    TrustBundle bundle = trustBundle();
    if (bundle == null || overlapRootsTrusted().isEmpty()) {
      return chain;
    }
    return chain.withRootsPem(bundle.pem());
  }

  @Override
  public void onTrustBundleChange(Consumer<TrustBundle> listener) {
    listeners.add(listener);
  }

  @Override
  public void close() throws Exception {
    if (current instanceof AutoCloseable closeable) {
      closeable.close();
    }
  }
}
