package dev.gatehouse.ca.signer.upstream;

import dev.gatehouse.ca.CaError;
import dev.gatehouse.ca.CaException;
import dev.gatehouse.ca.signer.SignerReadiness;
import dev.gatehouse.ca.signer.SigningRequest;
import dev.gatehouse.ca.signer.TrustBundle;
import dev.gatehouse.ca.signer.TrustBundleListeners;
import dev.gatehouse.ca.signer.upstream.UpstreamAuthority.UpstreamChain;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leaf mode: every workload CSR is signed by the upstream (Vault {@code sign/<role>}, SPIRE {@code MintX509SVID});
 * no CA key lives in Gatehouse, and the CA's rate is the upstream's. Each answer is verified
 * ({@link UpstreamAnswers#verifyLeaf}) before it is handed out. The trust bundle is the upstream's, refreshed every
 * {@code bundleRefresh}; while the upstream is unreachable the signer is not ready with the reason (CreateCertificate
 * answers {@code UNAVAILABLE} at once instead of every caller waiting for a timeout) and it is probed every
 * {@code retry} until it answers again.
 *
 * <p>Thread-safe: the bundle and issuer chain are volatile immutable values; {@link #maintain()} is synchronized.
 */
public final class UpstreamLeafSigner implements UpstreamSigner {
  private static final Logger log = LoggerFactory.getLogger(UpstreamLeafSigner.class);

  /**
   * @param bundleRefresh how often the trust bundle is re-read while the upstream is up
   * @param retry how often an unreachable upstream is probed
   */
  public record Options(Duration bundleRefresh, Duration retry) {
    public Options {
      Objects.requireNonNull(bundleRefresh, "bundleRefresh");
      Objects.requireNonNull(retry, "retry");
    }
  }

  private final UpstreamAuthority upstream;
  private final Options options;
  private final Clock clock;
  private final UpstreamHealth health = new UpstreamHealth();
  private final TrustBundleListeners listeners = new TrustBundleListeners();
  private volatile TrustBundle bundle;
  private volatile List<X509Certificate> issuerChain = List.of();
  private volatile Instant lastRefresh = Instant.EPOCH;

  public UpstreamLeafSigner(UpstreamAuthority upstream, Options options, Clock clock) {
    this.upstream = Objects.requireNonNull(upstream, "upstream");
    this.options = Objects.requireNonNull(options, "options");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  @Override
  public String name() {
    return upstream.name();
  }

  @Override
  public String issuance() {
    return "leaf";
  }

  @Override
  public UpstreamHealth health() {
    return health;
  }

  @Override
  public synchronized void maintain() {
    Instant now = clock.instant();
    Duration interval = health.up() ? options.bundleRefresh() : options.retry();
    if (bundle == null || !now.isBefore(lastRefresh.plus(interval))) {
      refreshBundle();
    }
  }

  /** Re-reads the upstream's roots; announces a change. Returns whether the upstream answered with valid roots. */
  public synchronized boolean refreshBundle() {
    Instant now = clock.instant();
    lastRefresh = now;
    try {
      TrustBundle fresh = UpstreamAnswers.verifyRoots(upstream.fetchRoots(), now);
      TrustBundle previous = bundle;
      boolean wasDown = !health.up();
      bundle = fresh;
      health.succeeded(now);
      if (wasDown) {
        log.info("upstream CA {} reachable; signing", upstream.describe());
      }
      if (!fresh.equals(previous)) {
        log.info("trust bundle from {}: {}", upstream.describe(), fresh);
        listeners.fire(fresh);
      }
      return true;
    } catch (UpstreamException e) {
      record(e, now);
      return false;
    }
  }

  private void record(UpstreamException e, Instant now) {
    boolean wasUp = health.up();
    health.failed(e, now);
    if (e.kind() == UpstreamException.Kind.UNAVAILABLE) {
      if (wasUp || bundle == null) {
        log.error("upstream CA {} unavailable (workloads get UNAVAILABLE until it answers; probing every {}): {}",
            upstream.describe(), options.retry(), e.getMessage());
      }
    } else {
      log.error("upstream CA {}: {} ({})", upstream.describe(), e.getMessage(), e.label());
    }
  }

  @Override
  public SignerReadiness readiness() {
    if (bundle == null) {
      UpstreamException last = health.lastFailure();
      if (last != null && last.kind() != UpstreamException.Kind.UNAVAILABLE) {
        return SignerReadiness.notReady("no trust bundle from " + upstream.describe() + ": " + last.getMessage());
      }
      return SignerReadiness.upstreamUnavailable("no trust bundle from " + upstream.describe() + " yet: " + health.reason());
    }
    if (!health.up()) {
      return SignerReadiness.upstreamUnavailable(upstream.describe() + " unavailable since " + health.since() + ": "
          + health.reason());
    }
    return SignerReadiness.isReady();
  }

  @Override
  public TrustBundle trustBundle() {
    return bundle;
  }

  /** The upstream's issuing chain as seen in its last answer (the roots until the first answer). */
  @Override
  public List<X509Certificate> signingChain() {
    List<X509Certificate> chain = issuerChain;
    if (!chain.isEmpty()) {
      return chain;
    }
    TrustBundle b = bundle;
    return b == null ? List.of() : List.of(b.roots().get(0));
  }

  @Override
  public List<X509Certificate> sign(SigningRequest request) {
    TrustBundle current = bundle;
    if (current == null) {
      throw new CaException(CaError.UNAVAILABLE, "no trust bundle from " + upstream.describe() + " yet");
    }
    if (request.csr() == null) {
      throw new CaException(CaError.INTERNAL, "leaf mode needs the workload's CSR");
    }
    Instant now = clock.instant();
    UpstreamChain answer;
    try {
      answer = upstream.signLeaf(request);
    } catch (UpstreamException e) {
      record(e, now);
      throw failure(e);
    }
    List<X509Certificate> verified;
    try {
      verified = verify(answer, request, current, now);
    } catch (UpstreamException e) {
      record(e, now);
      throw failure(e);
    }
    health.succeeded(now);
    List<X509Certificate> issuers = verified.subList(1, verified.size());
    if (!issuers.equals(issuerChain)) {
      issuerChain = List.copyOf(issuers);
    }
    return verified;
  }

  /** Verifies against the current bundle; when that fails, re-reads the bundle once (the upstream may have rotated). */
  private List<X509Certificate> verify(UpstreamChain answer, SigningRequest request, TrustBundle current, Instant now)
      throws UpstreamException {
    try {
      return UpstreamAnswers.verifyLeaf(answer, request, current, now);
    } catch (UpstreamException first) {
      if (refreshBundle() && !bundle.equals(current)) {
        return UpstreamAnswers.verifyLeaf(answer, request, bundle, now);
      }
      throw first;
    }
  }

  private CaException failure(UpstreamException e) {
    return switch (e.kind()) {
      case UNAVAILABLE -> new CaException(CaError.UNAVAILABLE, upstream.describe() + " unavailable: " + e.getMessage(), e);
      case REFUSED -> new CaException(CaError.INTERNAL, upstream.describe() + " refused: " + e.getMessage(), e);
      case INVALID_ANSWER -> new CaException(CaError.INTERNAL, "answer from " + upstream.describe() + " refused: "
          + e.getMessage(), e);
    };
  }

  @Override
  public void onTrustBundleChange(Consumer<TrustBundle> listener) {
    listeners.add(listener);
  }

  @Override
  public void close() {
    upstream.close();
  }
}
