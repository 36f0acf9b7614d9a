package dev.gatehouse.ca.signer.upstream;

import dev.gatehouse.ca.CaError;
import dev.gatehouse.ca.CaException;
import dev.gatehouse.ca.signer.SignerReadiness;
import dev.gatehouse.ca.signer.SigningAuthority;
import dev.gatehouse.ca.signer.SigningRequest;
import dev.gatehouse.ca.signer.TrustBundle;
import dev.gatehouse.ca.signer.TrustBundleListeners;
import dev.gatehouse.ca.x509.CaKeys;
import dev.gatehouse.ca.x509.SvidFactory;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Intermediate mode: the upstream signs an intermediate CA for Gatehouse (Vault {@code root/sign-intermediate}, SPIRE
 * {@code NewDownstreamX509CA}), whose key is generated here and never leaves the process, and Gatehouse signs
 * workload certificates locally at its own rate. The intermediate is renewed once {@code renewAt} of its life has
 * passed (SPIRE's downstream rule: half-life); a renewal that fails is retried every {@code retry} while the current
 * intermediate keeps signing until it expires, so an upstream outage shorter than the remaining life is invisible
 * to workloads. The trust bundle is re-read every {@code bundleRefresh}; when the upstream's roots no longer cover
 * the current intermediate it is renewed at once.
 *
 * <p>Thread-safe: signing reads a volatile immutable {@link SigningAuthority}; maintenance is synchronized.
 */
public final class UpstreamIntermediateSigner implements UpstreamSigner {
  private static final Logger log = LoggerFactory.getLogger(UpstreamIntermediateSigner.class);

  /**
   * @param trustDomain the mesh's trust domain (the intermediate's subject O and URI SAN {@code spiffe://<td>})
   * @param ttl the lifetime asked for (the upstream may shorten it)
   * @param renewAt fraction of the intermediate's life after which it is renewed (0 &lt; renewAt &lt; 1)
   * @param keyAlgorithm the intermediate's key
   * @param bundleRefresh how often the upstream's roots are re-read
   * @param retry how often a failed renewal or refresh is retried
   */
  public record Options(String trustDomain, Duration ttl, double renewAt, CaKeys.Algorithm keyAlgorithm,
      Duration bundleRefresh, Duration retry) {
    public Options {
      Objects.requireNonNull(trustDomain, "trustDomain");
      Objects.requireNonNull(ttl, "ttl");
      Objects.requireNonNull(keyAlgorithm, "keyAlgorithm");
      Objects.requireNonNull(bundleRefresh, "bundleRefresh");
      Objects.requireNonNull(retry, "retry");
      if (!(renewAt > 0 && renewAt < 1)) {
        throw new IllegalArgumentException("renewAt must be between 0 and 1, was " + renewAt);
      }
    }
  }

  private final UpstreamAuthority upstream;
  private final Options options;
  private final Clock clock;
  private final UpstreamHealth health = new UpstreamHealth();
  private final TrustBundleListeners listeners = new TrustBundleListeners();
  private volatile SigningAuthority authority;
  private volatile String refusal = "";
  private Instant lastRefresh = Instant.EPOCH;
  private Instant lastAttempt = Instant.EPOCH;

  public UpstreamIntermediateSigner(UpstreamAuthority upstream, Options options, Clock clock) {
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
    return "intermediate";
  }

  @Override
  public UpstreamHealth health() {
    return health;
  }

  /** When the current intermediate is due for renewal (empty before the first). */
  public Instant renewalDue() {
    SigningAuthority a = authority;
    return a == null ? Instant.EPOCH : renewAt(a.signingCertificate());
  }

  private Instant renewAt(X509Certificate intermediate) {
    long notBefore = intermediate.getNotBefore().getTime();
    long notAfter = intermediate.getNotAfter().getTime();
    return Instant.ofEpochMilli(notBefore + (long) ((notAfter - notBefore) * options.renewAt()));
  }

  @Override
  public synchronized void maintain() {
    Instant now = clock.instant();
    SigningAuthority current = authority;
    boolean retryDue = !now.isBefore(lastAttempt.plus(options.retry()));
    if (current == null || !now.isBefore(renewAt(current.signingCertificate()))) {
      if (retryDue) {
        renew();
      }
      return;
    }
    Duration interval = health.up() ? options.bundleRefresh() : options.retry();
    if (!now.isBefore(lastRefresh.plus(interval))) {
      refreshBundle(current);
    }
  }

  /** Obtains a new intermediate now. Returns whether it succeeded; on failure the current one keeps signing. */
  public synchronized boolean renew() {
    Instant now = clock.instant();
    lastAttempt = now;
    lastRefresh = now;
    KeyPair key = CaKeys.generate(options.keyAlgorithm());
    try {
      UpstreamAuthority.UpstreamChain answer = upstream.signIntermediate(csr(key), options.ttl());
      TrustBundle roots = answer.roots().isEmpty()
          ? UpstreamAnswers.verifyRoots(upstream.fetchRoots(), now)
          : UpstreamAnswers.verifyRoots(answer.roots(), now);
      SigningAuthority fresh = UpstreamAnswers.verifyIntermediate(answer, key, roots, now);
      SigningAuthority previous = authority;
      authority = fresh;
      refusal = "";
      health.succeeded(now);
      X509Certificate ca = fresh.signingCertificate();
      log.info("intermediate from {}: {} serial {} valid until {} (renewal at {})", upstream.describe(),
          ca.getSubjectX500Principal().getName(), ca.getSerialNumber().toString(16), ca.getNotAfter().toInstant(),
          renewAt(ca));
      if (previous == null || !previous.trustBundle().equals(fresh.trustBundle())) {
        listeners.fire(fresh.trustBundle());
      }
      return true;
    } catch (UpstreamException e) {
      health.failed(e, now);
      if (e.kind() != UpstreamException.Kind.UNAVAILABLE) {
        refusal = e.getMessage();
      }
      SigningAuthority current = authority;
      log.error("intermediate renewal from {} failed ({}): {}; {}", upstream.describe(), e.label(), e.getMessage(),
          current == null ? "the CA is not ready" : "the current intermediate keeps signing until "
              + current.signingCertificate().getNotAfter().toInstant());
      return false;
    }
  }

  private void refreshBundle(SigningAuthority current) {
    Instant now = clock.instant();
    lastRefresh = now;
    try {
      TrustBundle fresh = UpstreamAnswers.verifyRoots(upstream.fetchRoots(), now);
      health.succeeded(now);
      if (fresh.equals(current.trustBundle())) {
        return;
      }
      try {
        fresh.verify(current.chain(), now);
      } catch (GeneralSecurityException e) {
        log.warn("the roots of {} no longer cover the current intermediate; renewing it now", upstream.describe());
        renew();
        return;
      }
      authority = new SigningAuthority(current.key(), current.chain(), fresh);
      log.info("trust bundle from {}: {}", upstream.describe(), fresh);
      listeners.fire(fresh);
    } catch (UpstreamException e) {
      health.failed(e, now);
      log.warn("trust bundle refresh from {} failed ({}): {}", upstream.describe(), e.label(), e.getMessage());
    }
  }

  private PKCS10CertificationRequest csr(KeyPair key) throws UpstreamException {
    try {
      ExtensionsGenerator extensions = new ExtensionsGenerator();
      extensions.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      extensions.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
      extensions.addExtension(Extension.subjectAlternativeName, false,
          new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, "spiffe://" + options.trustDomain())));
      return new JcaPKCS10CertificationRequestBuilder(new X500NameBuilder(BCStyle.INSTANCE)
          .addRDN(BCStyle.O, options.trustDomain()).addRDN(BCStyle.CN, "Gatehouse intermediate").build(), key.getPublic())
          .addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate())
          .build(new JcaContentSignerBuilder(CaKeys.signatureAlgorithm(key.getPrivate())).build(key.getPrivate()));
    } catch (IOException | OperatorCreationException e) {
      throw new UpstreamException(UpstreamException.Kind.REFUSED, "cannot build the intermediate CSR: " + e.getMessage(), e);
    }
  }

  @Override
  public SignerReadiness readiness() {
    SigningAuthority a = authority;
    if (a == null) {
      return refusal.isEmpty()
          ? SignerReadiness.upstreamUnavailable("no intermediate from " + upstream.describe() + " yet: " + health.reason())
          : SignerReadiness.notReady("no intermediate from " + upstream.describe() + ": " + refusal);
    }
    if (!clock.instant().isBefore(a.signingCertificate().getNotAfter().toInstant())) {
      return SignerReadiness.upstreamUnavailable("intermediate from " + upstream.describe() + " expired at "
          + a.signingCertificate().getNotAfter().toInstant() + " and renewal is failing: "
          + (refusal.isEmpty() ? health.reason() : refusal));
    }
    return SignerReadiness.isReady();
  }

  @Override
  public TrustBundle trustBundle() {
    SigningAuthority a = authority;
    return a == null ? null : a.trustBundle();
  }

  @Override
  public List<X509Certificate> signingChain() {
    SigningAuthority a = authority;
    return a == null ? List.of() : a.chain();
  }

  @Override
  public List<X509Certificate> sign(SigningRequest request) {
    SigningAuthority a = authority;
    Instant now = clock.instant();
    if (a == null || !now.isBefore(a.signingCertificate().getNotAfter().toInstant())) {
      throw new CaException(CaError.UNAVAILABLE, "no valid intermediate from " + upstream.describe());
    }
    try {
      return SvidFactory.issue(a, request, now);
    } catch (GeneralSecurityException e) {
      throw new CaException(CaError.INTERNAL, "certificate signing failed", e);
    }
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
