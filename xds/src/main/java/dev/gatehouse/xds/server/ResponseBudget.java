package dev.gatehouse.xds.server;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * A byte budget shared by every stream for responses handed to gRPC and not yet drained by the transport (gRPC
 * serializes a response into direct buffers on {@code onNext} and keeps them until the peer's flow-control window takes
 * them). A stream acquires a response's serialized size before handing it over and gives it back once its call is ready
 * again (or closed). Streams that find the budget spent wait in FIFO order and are woken, on {@code wakeups}, when bytes
 * come back; none is dropped. A response larger than the whole budget is let through alone when nothing else is held.
 * Thread-safe; never calls a waiter while holding its own lock.
 */
final class ResponseBudget {
  /** A stream waiting for budget. */
  interface Waiter {
    /** The budget for {@code bytes} has been taken on this waiter's behalf; it should send now. */
    void granted(long bytes);
  }

  private record Wait(Waiter waiter, long bytes) {}

  private final long limit;
  private final Executor wakeups;
  private final ArrayDeque<Wait> waiting = new ArrayDeque<>();
  private long used;
  private long peak;

  ResponseBudget(long limitBytes, Executor wakeups) {
    if (limitBytes < 1) {
      throw new IllegalArgumentException("response budget must be >= 1 byte: " + limitBytes);
    }
    this.limit = limitBytes;
    this.wakeups = wakeups;
  }

  long limit() {
    return limit;
  }

  /** Bytes handed to gRPC and not yet drained, over all streams. */
  synchronized long used() {
    return used;
  }

  /** The highest {@link #used()} seen. */
  synchronized long peak() {
    return peak;
  }

  synchronized int waiting() {
    return waiting.size();
  }

  /**
   * Takes {@code bytes} at once when no stream is waiting and they fit (true); else queues {@code w}, which is
   * {@link Waiter#granted granted} later (false). A waiter asks again only after its grant.
   */
  synchronized boolean tryAcquire(Waiter w, long bytes) {
    if (waiting.isEmpty() && fits(bytes)) {
      take(bytes);
      return true;
    }
    waiting.addLast(new Wait(w, bytes));
    return false;
  }

  /** Gives back {@code bytes} and grants waiters, first come first served, while their responses fit. */
  void release(long bytes) {
    List<Wait> granted = new ArrayList<>();
    synchronized (this) {
      used -= bytes;
      while (!waiting.isEmpty() && fits(waiting.peekFirst().bytes())) {
        Wait w = waiting.pollFirst();
        take(w.bytes());
        granted.add(w);
      }
    }
    for (Wait w : granted) {
      wakeups.execute(() -> w.waiter().granted(w.bytes()));
    }
  }

  /** A closed stream: forgets its wait (if any); a grant already on its way is given back by the stream. */
  void cancel(Waiter w) {
    boolean removed;
    synchronized (this) {
      removed = waiting.removeIf(x -> x.waiter() == w);
    }
    if (removed) {
      release(0);
    }
  }

  private boolean fits(long bytes) {
    return used == 0 || used + bytes <= limit;
  }

  private void take(long bytes) {
    used += bytes;
    peak = Math.max(peak, used);
  }
}
