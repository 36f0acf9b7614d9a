package dev.gatehouse.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.it.workload.CallResult;
import dev.gatehouse.it.workload.WorkloadProcess;
import java.time.Duration;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Bounded waits for a mesh to converge, as the data-plane end-to-end tests use them: a call repeated until its
 * outcome is the expected one (xDS pushes are asynchronous; a test waits for the outcome, never for a fixed time).
 */
public final class Convergence {
  public static final Duration CONVERGE = Duration.ofSeconds(20);

  private Convergence() {}

  /** Repeats {@code call} every 100 ms until {@code done} or {@link #CONVERGE}; returns the last result. */
  public static CallResult until(Supplier<CallResult> call, Predicate<CallResult> done) {
    long deadline = System.nanoTime() + CONVERGE.toNanos();
    CallResult last;
    do {
      last = call.get();
      if (done.test(last)) {
        return last;
      }
      sleep(100);
    } while (System.nanoTime() < deadline);
    return last;
  }

  /** The call succeeds within {@link #CONVERGE}. */
  public static CallResult okCall(WorkloadProcess client, String method) {
    return okCall(() -> client.call(method), client.name() + " " + method);
  }

  public static CallResult okCall(Supplier<CallResult> call, String what) {
    CallResult r = until(call, CallResult::ok);
    assertThat(r.ok()).as(what + ": " + r.raw()).isTrue();
    return r;
  }

  /** The call is refused PERMISSION_DENIED within {@link #CONVERGE}. */
  public static CallResult deniedCall(Supplier<CallResult> call, String what) {
    CallResult r = until(call, x -> x.code().equals("PERMISSION_DENIED"));
    assertThat(r.code()).as(what + ": " + r.raw()).isEqualTo("PERMISSION_DENIED");
    return r;
  }

  public static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
