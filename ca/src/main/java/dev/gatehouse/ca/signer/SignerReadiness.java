package dev.gatehouse.ca.signer;

/** Whether a signer can sign now; {@code reason} explains a not-ready state to operators. */
public record SignerReadiness(boolean ready, String reason) {
  public static SignerReadiness isReady() {
    return new SignerReadiness(true, "");
  }

  public static SignerReadiness notReady(String reason) {
    return new SignerReadiness(false, reason);
  }
}
