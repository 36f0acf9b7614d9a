package dev.gatehouse.ca;

import java.util.Objects;

/**
 * A refused CA request. The message is safe to return to the caller: it names the reason, never internals
 * such as key material or stack traces.
 */
public final class CaException extends RuntimeException {
  private final CaError error;

  public CaException(CaError error, String message) {
    super(message, null, false, false);
    this.error = Objects.requireNonNull(error, "error");
  }

  public CaException(CaError error, String message, Throwable cause) {
    super(message, cause, false, false);
    this.error = Objects.requireNonNull(error, "error");
  }

  public CaError error() {
    return error;
  }
}
