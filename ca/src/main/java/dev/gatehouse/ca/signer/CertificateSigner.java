package dev.gatehouse.ca.signer;

import dev.gatehouse.ca.CaException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.function.Consumer;

/**
 * The signer SPI: a back-end that turns a validated request into an X.509-SVID chain. Authentication,
 * authorization, CSR validation and TTL policy happen before a signer is called, so back-ends (self-signed,
 * plugged-in intermediate, and later Vault PKI or SPIRE) only sign and report their trust material.
 *
 * <p>Implementations are thread-safe; {@link #sign} may be called concurrently with material reloads, and a call
 * that started with the old material finishes with it.
 */
public interface CertificateSigner {
  /** Short name for audit lines ({@code self-signed}, {@code plugged-in}, ...). */
  String name();

  SignerReadiness readiness();

  /** The roots workloads should trust; changes are announced through {@link #onTrustBundleChange}. */
  TrustBundle trustBundle();

  /** The chain above issued leaves: the signing certificate first, the root it verifies to last. */
  List<X509Certificate> signingChain();

  /**
   * Signs {@code request}.
   *
   * @return leaf first, root last, one certificate per element
   * @throws CaException with {@code INTERNAL} when not ready or signing fails, {@code UNAVAILABLE} when an upstream CA
   *     cannot be reached in time (nothing was issued; the caller may retry)
   */
  List<X509Certificate> sign(SigningRequest request) throws CaException;

  /**
   * Signs {@code request} for the CSR endpoint, which needs the chain encoded, not parsed. Signers that build the
   * certificate themselves return it without parsing it again; the default wraps {@link #sign}.
   *
   * @throws CaException as {@link #sign}
   */
  default IssuedChain issue(SigningRequest request) throws CaException {
    return IssuedChain.of(sign(request));
  }

  /** Registers a listener called (on the reloading thread) after the trust bundle changed. */
  void onTrustBundleChange(Consumer<TrustBundle> listener);
}
