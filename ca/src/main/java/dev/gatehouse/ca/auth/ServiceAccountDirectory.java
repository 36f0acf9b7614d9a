package dev.gatehouse.ca.auth;

/**
 * Which service accounts exist right now. In file mode the mesh configuration is the only record of them, so a token
 * that verified must also name a service account found there; in Kubernetes mode TokenReview ties the token to a live
 * service account instead. Implementations are thread-safe and cheap (called once per authenticated request).
 */
@FunctionalInterface
public interface ServiceAccountDirectory {
  Presence lookup(String namespace, String serviceAccount);

  enum Presence {
    PRESENT,
    /** Neither the namespace nor anything in it is known. */
    NAMESPACE_ABSENT,
    /** The namespace is known; this service account in it is not. */
    SERVICE_ACCOUNT_ABSENT,
    /** The directory has not loaded yet; the caller should retry. */
    NOT_LOADED
  }
}
