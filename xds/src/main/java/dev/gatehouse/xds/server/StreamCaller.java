package dev.gatehouse.xds.server;

import java.util.Optional;

/**
 * Who opened an xDS stream, as far as the transport proved it.
 *
 * @param secure true on the TLS port, where an authenticated identity is required (istiod's 15012)
 * @param identity the authenticated caller; empty on plaintext, or when a secure caller proved nothing
 * @param failure why a secure caller could not be authenticated; empty otherwise
 */
public record StreamCaller(boolean secure, Optional<CallerIdentity> identity, String failure) {
  public StreamCaller {
    identity = identity == null ? Optional.empty() : identity;
    failure = failure == null ? "" : failure;
  }

  /** The plaintext port: no authentication, as istiod's 15010. */
  public static StreamCaller plaintext() {
    return new StreamCaller(false, Optional.empty(), "");
  }

  public static StreamCaller authenticated(CallerIdentity identity) {
    return new StreamCaller(true, Optional.of(identity), "");
  }

  public static StreamCaller unauthenticated(String failure) {
    return new StreamCaller(true, Optional.empty(), failure);
  }

  @Override
  public String toString() {
    if (!secure) {
      return "plaintext";
    }
    return identity.map(CallerIdentity::toString).orElse("unauthenticated: " + failure);
  }
}
