package dev.gatehouse.ca.signer;

/**
 * Whether a signer can sign now; {@code reason} explains a not-ready state to operators. {@code upstreamUnavailable}
 * marks a not-ready state caused by an upstream CA (Vault, SPIRE) that cannot be reached: callers get
 * {@code UNAVAILABLE} (retry later) instead of {@code INTERNAL}.
 */
public record SignerReadiness(boolean ready, String reason, boolean upstreamUnavailable) {
  public SignerReadiness(boolean ready, String reason) {
    this(ready, reason, false);
  }

  public static SignerReadiness isReady() {
    return new SignerReadiness(true, "", false);
  }

  public static SignerReadiness notReady(String reason) {
    return new SignerReadiness(false, reason, false);
  }

  public static SignerReadiness upstreamUnavailable(String reason) {
    return new SignerReadiness(false, reason, true);
  }
}
