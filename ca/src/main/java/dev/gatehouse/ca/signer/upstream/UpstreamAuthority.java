package dev.gatehouse.ca.signer.upstream;

import dev.gatehouse.ca.signer.SigningRequest;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;

/**
 * The wire side of an upstream CA (Vault PKI, SPIRE Server API): one implementation per upstream, each owning its
 * connection, authentication, timeouts and retries. Answers are returned as received: {@link UpstreamAnswers}
 * verifies them before anything reaches a workload. Implementations are thread-safe and bound every call in time.
 */
public interface UpstreamAuthority extends AutoCloseable {
  /** Signer name for audit lines and metrics ({@code vault-pki}, {@code spire}). */
  String name();

  /** Where it signs, for logs and readiness ({@code https://vault:8200 pki/sign/gatehouse}). */
  String describe();

  /** Has the upstream sign the workload's own CSR for {@code request.identity()} (the key never leaves the workload). */
  UpstreamChain signLeaf(SigningRequest request) throws UpstreamException;

  /** Has the upstream sign an intermediate CA for Gatehouse from {@code csr}; {@code ttl} is a preference. */
  UpstreamChain signIntermediate(PKCS10CertificationRequest csr, Duration ttl) throws UpstreamException;

  /** The roots workloads must trust, as the upstream publishes them now. */
  List<X509Certificate> fetchRoots() throws UpstreamException;

  @Override
  default void close() {}

  /**
   * An upstream's answer, unverified.
   *
   * @param chain the issued certificate first, then the intermediates the upstream returned (a root may follow)
   * @param roots the roots the upstream returned with it (empty when it returns none)
   */
  record UpstreamChain(List<X509Certificate> chain, List<X509Certificate> roots) {
    public UpstreamChain {
      chain = List.copyOf(chain);
      roots = List.copyOf(roots);
    }
  }
}
