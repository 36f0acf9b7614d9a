package dev.gatehouse.ca.csr;

/** What the CA does with the SANs a CSR asks for. */
public enum SanPolicy {
  /**
   * Gatehouse's default: the CSR may name only the caller's own SPIFFE identity (or nothing); any other URI, DNS,
   * IP or email SAN is refused with PERMISSION_DENIED, so a caller never believes it got a name it did not.
   */
  STRICT,
  /**
   * Istio's behaviour (security/pkg/server/ca/server.go, {@code sans := caller.Identities}): the CSR's SANs are
   * ignored and the certificate carries the caller's identity only.
   */
  REPLACE
}
