package dev.gatehouse.ca.signer.upstream;

/**
 * An upstream CA call that did not produce a usable answer. The message names what was called (the Vault path and
 * role, the SPIRE RPC) so an operator can act on it; it never holds credentials.
 */
public final class UpstreamException extends Exception {
  /** What went wrong, which decides what the workload is told and whether the signer retries on its own. */
  public enum Kind {
    /** Connection refused or reset, timeout, 5xx / gRPC UNAVAILABLE: transient, retried, {@code UNAVAILABLE}. */
    UNAVAILABLE,
    /** The upstream refused (4xx, permission denied, role does not allow the SAN): configuration, not retried. */
    REFUSED,
    /** The upstream answered something that does not verify or parse: refused, nothing handed out. */
    INVALID_ANSWER
  }

  private final Kind kind;

  public UpstreamException(Kind kind, String message) {
    super(message, null, false, false);
    this.kind = kind;
  }

  public UpstreamException(Kind kind, String message, Throwable cause) {
    super(message, cause, false, false);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }

  /** Metric label: {@code unavailable}, {@code refused}, {@code invalid-answer}. */
  public String label() {
    return kind.name().toLowerCase().replace('_', '-');
  }
}
