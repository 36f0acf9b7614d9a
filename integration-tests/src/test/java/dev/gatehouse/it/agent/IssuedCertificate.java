package dev.gatehouse.it.agent;

import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;

/**
 * One certificate the agent obtained and installed.
 *
 * @param chain leaf first, then the intermediates CreateCertificate returned, and last the root the chain verified to
 * @param requestedAt when the agent sent the CSR; the renewal time is computed from it, not from NotBefore, because
 *     the CA back-dates NotBefore (Gatehouse and Istio: now - 2 min) and a half-life measured from NotBefore would
 *     renew a short-lived certificate at once
 * @param roots the roots installed beside it as {@code root-cert.pem} (what the workload trusts its peers by)
 */
public record IssuedCertificate(List<X509Certificate> chain, Instant requestedAt, List<X509Certificate> roots) {
  public IssuedCertificate {
    chain = List.copyOf(chain);
    roots = List.copyOf(roots);
    if (chain.isEmpty()) {
      throw new IllegalArgumentException("empty chain");
    }
  }

  /** The root the chain verified to. */
  public X509Certificate root() {
    return chain.get(chain.size() - 1);
  }

  public X509Certificate leaf() {
    return chain.get(0);
  }

  public BigInteger serial() {
    return leaf().getSerialNumber();
  }

  /** Lower-case hex, the form the echo server reports. */
  public String serialHex() {
    return serial().toString(16);
  }

  public Instant notAfter() {
    return leaf().getNotAfter().toInstant();
  }

  /** Half-way between the request and NotAfter (istio-agent's default SECRET_GRACE_PERIOD_RATIO 0.5). */
  public Instant renewAt() {
    return requestedAt.plus(java.time.Duration.between(requestedAt, notAfter()).dividedBy(2));
  }
}
