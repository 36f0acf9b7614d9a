package dev.gatehouse.ca.signer;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Listener list shared by signers; a failing listener is logged and does not stop the others. Thread-safe. */
public final class TrustBundleListeners {
  private static final Logger log = LoggerFactory.getLogger(TrustBundleListeners.class);
  private final List<Consumer<TrustBundle>> listeners = new CopyOnWriteArrayList<>();

  public void add(Consumer<TrustBundle> listener) {
    listeners.add(listener);
  }

  public void fire(TrustBundle bundle) {
    for (Consumer<TrustBundle> listener : listeners) {
      try {
        listener.accept(bundle);
      } catch (RuntimeException e) {
        log.warn("trust bundle listener failed", e);
      }
    }
  }
}
