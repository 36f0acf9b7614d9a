package dev.gatehouse.ca.signer.pluggedin;

import dev.gatehouse.ca.CaError;
import dev.gatehouse.ca.CaException;
import dev.gatehouse.ca.signer.CertificateSigner;
import dev.gatehouse.ca.signer.IssuedChain;
import dev.gatehouse.ca.signer.SignerReadiness;
import dev.gatehouse.ca.signer.SigningAuthority;
import dev.gatehouse.ca.signer.SigningRequest;
import dev.gatehouse.ca.signer.TrustBundle;
import dev.gatehouse.ca.signer.TrustBundleListeners;
import dev.gatehouse.ca.x509.SvidFactory;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A corporate intermediate plugged in through {@code cacerts} (Istio's plugged-in CA, pilot/pkg/bootstrap/istio_ca.go).
 * {@link #reload()} re-reads the source and swaps the material atomically: calls already signing finish with the
 * material they started with. A replacement that does not validate is refused and the current material keeps
 * signing. A changed root bundle is accepted only when multiple roots are allowed and the old and new bundles are
 * a subset of one another (Istio's ISTIO_MULTIROOT_MESH rule), which allows first adding a root, then moving the
 * intermediate, then removing the old root.
 *
 * <p>Thread-safe: signing reads a volatile immutable {@link SigningAuthority}; reloads are synchronized.
 */
public final class PluggedInSigner implements CertificateSigner {
  private static final Logger log = LoggerFactory.getLogger(PluggedInSigner.class);

  private final CaMaterialSource source;
  private final boolean multipleRootsAllowed;
  private final Clock clock;
  private final TrustBundleListeners listeners = new TrustBundleListeners();
  private volatile SigningAuthority authority;
  private volatile String fingerprint = "";
  private volatile String lastError = "not loaded";

  /** What a reload did. */
  public enum ReloadOutcome {
    UNCHANGED,
    RELOADED,
    REFUSED
  }

  public PluggedInSigner(CaMaterialSource source, boolean multipleRootsAllowed, Clock clock) {
    this.source = Objects.requireNonNull(source, "source");
    this.multipleRootsAllowed = multipleRootsAllowed;
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** Loads the material if its files changed since the last successful or refused load. */
  public synchronized ReloadOutcome reload() {
    Map<String, String> files;
    try {
      files = source.read();
    } catch (IOException e) {
      return refuse("cannot read " + source.describe() + ": " + e.getMessage());
    }
    String newFingerprint = fingerprint(files);
    if (newFingerprint.equals(fingerprint)) {
      return ReloadOutcome.UNCHANGED;
    }
    fingerprint = newFingerprint;
    SigningAuthority candidate;
    try {
      candidate = PluggedInCaMaterial.parse(files, clock.instant());
    } catch (PluggedInCaMaterial.InvalidCaMaterialException e) {
      return refuse("plugged-in CA in " + source.describe() + " is invalid: " + e.getMessage());
    }
    SigningAuthority current = authority;
    boolean bundleChanged = current == null || !current.trustBundle().equals(candidate.trustBundle());
    if (current != null && bundleChanged) {
      TrustBundle oldBundle = current.trustBundle();
      TrustBundle newBundle = candidate.trustBundle();
      if (!multipleRootsAllowed) {
        return refuse("plugged-in CA root changed; refused because multiple roots are not allowed"
            + " (set gatehouse.ca.multiple-roots=true to roll roots)");
      }
      if (!oldBundle.containsAll(newBundle) && !newBundle.containsAll(oldBundle)) {
        return refuse("plugged-in CA root bundle changed in one step; add the new root alongside the old one first");
      }
    }
    authority = candidate;
    lastError = "";
    log.info("plugged-in CA loaded from {}: signing as {}, expires {}", source.describe(),
        candidate.signingCertificate().getSubjectX500Principal().getName(), candidate.signingCertificate().getNotAfter().toInstant());
    if (bundleChanged) {
      listeners.fire(candidate.trustBundle());
    }
    return ReloadOutcome.RELOADED;
  }

  /** Why the last reload was refused, or empty. */
  public String lastError() {
    return lastError;
  }

  private ReloadOutcome refuse(String reason) {
    lastError = reason;
    log.error("{}; {}", reason, authority == null ? "the CA is not ready" : "the current CA keeps signing");
    return ReloadOutcome.REFUSED;
  }

  private static String fingerprint(Map<String, String> files) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      new TreeMap<>(files).forEach((name, content) -> {
        digest.update(name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        digest.update((byte) 0);
        digest.update(content.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        digest.update((byte) 0);
      });
      return java.util.HexFormat.of().formatHex(digest.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String name() {
    return "plugged-in";
  }

  @Override
  public SignerReadiness readiness() {
    SigningAuthority a = authority;
    if (a == null) {
      return SignerReadiness.notReady(lastError);
    }
    if (!clock.instant().isBefore(a.signingCertificate().getNotAfter().toInstant())) {
      return SignerReadiness.notReady("plugged-in CA certificate expired");
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
    return issue(request).certificates();
  }

  @Override
  public IssuedChain issue(SigningRequest request) {
    SigningAuthority a = authority;
    if (a == null) {
      throw new CaException(CaError.INTERNAL, "CA is not ready: " + lastError);
    }
    try {
      return SvidFactory.encode(a, request, clock.instant());
    } catch (GeneralSecurityException e) {
      throw new CaException(CaError.INTERNAL, "certificate signing failed", e);
    }
  }

  @Override
  public void onTrustBundleChange(Consumer<TrustBundle> listener) {
    listeners.add(listener);
  }
}
