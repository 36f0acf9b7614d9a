package dev.gatehouse.ca.signer.upstream;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Whether the upstream CA answered the last call, why not, since when, and failures by kind; read by readiness and
 * by the {@code gatehouse_ca_upstream_*} meters. Thread-safe.
 */
public final class UpstreamHealth {
  /** The failure labels, so meters exist (at zero) before the first failure. */
  public static final List<String> FAILURE_KINDS = List.of("unavailable", "refused", "invalid-answer");

  private final Map<String, LongAdder> failures = new ConcurrentHashMap<>();
  private volatile boolean up;
  private volatile String reason = "not contacted yet";
  private volatile Instant since = Instant.EPOCH;
  private volatile UpstreamException lastFailure;

  public UpstreamHealth() {
    FAILURE_KINDS.forEach(k -> failures.put(k, new LongAdder()));
  }

  void succeeded(Instant now) {
    if (!up) {
      since = now;
    }
    up = true;
    reason = "";
  }

  /** Records a failure; only connectivity failures mark the upstream down (a refusal is configuration, not outage). */
  void failed(UpstreamException e, Instant now) {
    failures.get(e.label()).increment();
    lastFailure = e;
    if (e.kind() == UpstreamException.Kind.UNAVAILABLE) {
      if (up) {
        since = now;
      }
      up = false;
      reason = e.getMessage();
    }
  }

  public boolean up() {
    return up;
  }

  /** Why the upstream is down; empty when up. */
  public String reason() {
    return reason;
  }

  /** When the current up or down state began. */
  public Instant since() {
    return since;
  }

  /** The last failure of any kind (a refused login, a malformed answer, an outage), or null. */
  public UpstreamException lastFailure() {
    return lastFailure;
  }

  public long failures(String kind) {
    LongAdder adder = failures.get(kind);
    return adder == null ? 0 : adder.sum();
  }
}
