package dev.gatehouse.ca;

/**
 * Why the CA refused a request, in the gRPC status vocabulary Istio's CA server uses
 * (security/pkg/server/ca/server.go): the transport layer maps each one to a status code.
 */
public enum CaError {
  /** No authenticator accepted the caller's credentials. */
  UNAUTHENTICATED,
  /** The caller is authenticated but asked for something it may not have (another identity, a CA certificate). */
  PERMISSION_DENIED,
  /** The CSR or the requested TTL is malformed or out of bounds. */
  INVALID_ARGUMENT,
  /** A dependency the CA needs to decide (the Kubernetes API for TokenReview) could not be reached; retry. */
  UNAVAILABLE,
  /** The CA is not ready or failed to sign; not the caller's fault. */
  INTERNAL
}
