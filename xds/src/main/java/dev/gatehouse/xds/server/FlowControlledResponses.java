package dev.gatehouse.xds.server;

import com.google.protobuf.Message;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The response side of one discovery stream, between java-control-plane and gRPC: a response goes to gRPC only while
 * the call is ready ({@code isReady}, i.e. the transport holds less than gRPC's on-ready threshold for it) and when the
 * shared {@link ResponseBudget} has room for its serialized size; otherwise it is kept and sent, in the order the
 * types were first queued, when {@code onReady} fires or the budget grants it.
 *
 * <p>At most one response per type is kept. A newer one for the same type replaces the unsent older one, in its place
 * in the queue: a SotW response is the whole state of the type, so the older one is superseded; a delta response is
 * computed against what the proxy has ACKed (plus its initial versions), which no unsent response can have changed,
 * so the newer one already carries every change of the older one that still holds (and not those since undone), and
 * the proxy ACKs the nonce it actually received. Nothing is sent out of order within a type and no state is lost.
 *
 * <p>The bytes of a response handed to gRPC are held against the budget until the call is ready again (at once when it
 * still is after {@code onNext}) or closes. A stream that stays unready for longer than the stall limit (its peer does
 * not read) has its bytes written off the budget, counted as stalled instead, so that one stuck proxy cannot starve the
 * others; it gets nothing more until it reads, so what it pins stays at most one response.
 *
 * <p>Thread-safety: java-control-plane calls {@code onNext}/{@code onCompleted}/{@code onError} under this object's
 * monitor; the on-ready and cancel handlers and budget grants take it too.
 */
final class FlowControlledResponses<T extends Message> extends ServerCallStreamObserver<T>
    implements ResponseBudget.Waiter {
  private final ServerCallStreamObserver<T> out;
  private final ResponseBudget budget;
  private final AtomicLong stalledTotal;
  private final Map<String, T> pending = new LinkedHashMap<>();
  private Runnable onCancel;
  private Runnable onReady;
  /** Volatile so that the once-a-second stall sweep can skip idle and closed streams without taking the monitor. */
  private volatile boolean closed;
  private boolean waitingForBudget;
  private long granted;
  /** Bytes of this stream held against the budget (handed to gRPC while it was not ready since); volatile as closed. */
  private volatile long held;
  private long heldSinceNanos;
  /** Bytes written off the budget because the peer stopped reading. */
  private long stalled;

  FlowControlledResponses(ServerCallStreamObserver<T> out, ResponseBudget budget, AtomicLong stalledTotal) {
    this.out = out;
    this.budget = budget;
    this.stalledTotal = stalledTotal;
    out.setOnReadyHandler(this::ready);
    out.setOnCancelHandler(this::cancelled);
  }

  static String typeOf(Message m) {
    if (m instanceof DiscoveryResponse r) {
      return r.getTypeUrl();
    }
    if (m instanceof DeltaDiscoveryResponse r) {
      return r.getTypeUrl();
    }
    return "";
  }

  @Override
  public synchronized void onNext(T value) {
    if (closed) {
      return;
    }
    String type = typeOf(value);
    // Replace in place: an older unsent response of the type keeps its position.
    pending.put(type, value);
    drain();
  }

  @Override
  public synchronized void onError(Throwable t) {
    if (close()) {
      out.onError(t);
    }
  }

  @Override
  public synchronized void onCompleted() {
    if (close()) {
      out.onCompleted();
    }
  }

  /** Sends what is pending while the call is ready and the budget allows. */
  private void drain() {
    while (!closed && !pending.isEmpty() && !waitingForBudget) {
      if (!out.isReady()) {
        return;
      }
      Iterator<Map.Entry<String, T>> it = pending.entrySet().iterator();
      T next = it.next().getValue();
      long size = next.getSerializedSize();
      if (granted > 0) {
        // A grant is for the response that was first when we asked; a replacement may differ a little in size.
        held(granted);
        granted = 0;
      } else if (budget.tryAcquire(this, size)) {
        held(size);
      } else {
        waitingForBudget = true;
        return;
      }
      it.remove();
      try {
        out.onNext(next);
      } catch (RuntimeException e) {
        // The call is gone (cancelled under us): nothing more goes out.
        close();
        return;
      }
      if (out.isReady()) {
        releaseHeld();
      }
    }
  }

  private void held(long bytes) {
    if (held == 0) {
      heldSinceNanos = System.nanoTime();
    }
    held += bytes;
  }

  private void releaseHeld() {
    long h = held;
    held = 0;
    budget.release(h);
  }

  @Override
  public synchronized void granted(long bytes) {
    waitingForBudget = false;
    if (closed) {
      budget.release(bytes);
      return;
    }
    granted = bytes;
    drain();
    if (granted > 0) {
      // Nothing left to send (cannot happen: pending only shrinks by sending); give it back.
      budget.release(granted);
      granted = 0;
    }
  }

  private void ready() {
    Runnable r;
    synchronized (this) {
      if (stalled > 0) {
        stalledTotal.addAndGet(-stalled);
        stalled = 0;
      }
      releaseHeld();
      drain();
      r = onReady;
    }
    if (r != null) {
      r.run();
    }
  }

  private void cancelled() {
    Runnable r;
    synchronized (this) {
      close();
      r = onCancel;
    }
    if (r != null) {
      r.run();
    }
  }

  private boolean close() {
    if (closed) {
      return false;
    }
    closed = true;
    pending.clear();
    if (waitingForBudget) {
      budget.cancel(this);
    }
    if (stalled > 0) {
      stalledTotal.addAndGet(-stalled);
      stalled = 0;
    }
    releaseHeld();
    return true;
  }

  /** Writes this stream's held bytes off the budget when it has not been ready for {@code stallNanos}. */
  void writeOffIfStalled(long stallNanos) {
    if (held == 0) {
      return;
    }
    synchronized (this) {
      if (held > 0 && !closed && System.nanoTime() - heldSinceNanos >= stallNanos && !out.isReady()) {
        stalled += held;
        stalledTotal.addAndGet(held);
        releaseHeld();
      }
    }
  }

  synchronized int pendingResponses() {
    return pending.size();
  }

  boolean isClosed() {
    return closed;
  }

  @Override
  public boolean isCancelled() {
    return out.isCancelled();
  }

  @Override
  public synchronized void setOnCancelHandler(Runnable r) {
    onCancel = r;
  }

  @Override
  public void setCompression(String compression) {
    out.setCompression(compression);
  }

  @Override
  public boolean isReady() {
    return out.isReady();
  }

  @Override
  public synchronized void setOnReadyHandler(Runnable r) {
    onReady = r;
  }

  @Override
  public void disableAutoInboundFlowControl() {
    out.disableAutoInboundFlowControl();
  }

  @Override
  public void request(int count) {
    out.request(count);
  }

  @Override
  public void setMessageCompression(boolean enable) {
    out.setMessageCompression(enable);
  }
}
