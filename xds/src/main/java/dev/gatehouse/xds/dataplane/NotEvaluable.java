package dev.gatehouse.xds.dataplane;

/**
 * The evaluator met Envoy configuration it does not model (a matcher, filter or field Gatehouse does not generate).
 * Callers must treat this as "cannot decide", never as "allowed".
 */
public final class NotEvaluable extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public NotEvaluable(String message) {
    super(message);
  }

  public NotEvaluable(String message, Throwable cause) {
    super(message, cause);
  }
}
