package dev.gatehouse.ca.signer.upstream;

import dev.gatehouse.ca.signer.CertificateSigner;

/**
 * A signer backed by an upstream CA. {@link #maintain()} is called by the CA's maintenance timer every few seconds;
 * it refreshes the trust bundle when due (sooner while the upstream is down, which is how the signer recovers by
 * itself) and, in intermediate mode, renews the intermediate.
 */
public interface UpstreamSigner extends CertificateSigner, AutoCloseable {
  void maintain();

  UpstreamHealth health();

  /** {@code leaf} (the upstream signs every workload CSR) or {@code intermediate} (Gatehouse signs locally). */
  String issuance();

  /** Closes the upstream connection (Vault HTTP client and token renewal, SPIRE channel). */
  @Override
  void close();
}
