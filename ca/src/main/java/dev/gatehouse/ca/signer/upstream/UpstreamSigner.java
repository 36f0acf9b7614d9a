package dev.gatehouse.ca.signer.upstream;

import dev.gatehouse.ca.CaException;
import dev.gatehouse.ca.pem.PemCodec;
import dev.gatehouse.ca.signer.CertificateSigner;
import dev.gatehouse.ca.signer.IssuedChain;
import dev.gatehouse.ca.signer.SigningRequest;
import dev.gatehouse.ca.signer.TrustBundle;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

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

  /**
   * The chain for the CSR endpoint in istiod's form: while the upstream's bundle holds more than one root (a Vault
   * issuer or SPIRE authority rotation), the last {@code cert_chain} element is the whole bundle, the chain's own root
   * first. istio-agent installs that element as the roots the workload trusts its peers by; with only the chain's
   * own root there, a workload renewed under the new root would refuse every peer still holding an old-root
   * certificate until that peer renewed too.
   */
  @Override
  default IssuedChain issue(SigningRequest request) throws CaException {
    List<X509Certificate> chain = sign(request);
    IssuedChain issued = IssuedChain.of(chain);
    TrustBundle bundle = trustBundle();
    if (bundle == null || bundle.roots().size() < 2 || chain.size() < 2) {
      return issued;
    }
    X509Certificate root = chain.get(chain.size() - 1);
    List<X509Certificate> roots = new ArrayList<>();
    roots.add(root);
    bundle.roots().stream().filter(r -> !r.equals(root)).forEach(roots::add);
    return issued.withRootsPem(PemCodec.encodeCertificates(roots));
  }

  /** Closes the upstream connection (Vault HTTP client and token renewal, SPIRE channel). */
  @Override
  void close();
}
