package dev.gatehouse.controlplane.ha;

import dev.gatehouse.controlplane.grpc.GrpcServers;
import dev.gatehouse.xds.server.XdsServer;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.SmartLifecycle;

/**
 * Graceful shutdown of one replica ({@link DrainProperties}): readiness off (the Service stops sending new
 * connections here), both gRPC servers stop accepting (new connections are refused, open connections get a GOAWAY,
 * so a proxy whose stream ends must reconnect through the Service to another replica), then the xDS streams open at
 * that moment are ended one by one, evenly over the drain window, and finally calls still running, such as a
 * CreateCertificate that arrived just before, are given {@code inFlightTimeout} to complete before the servers are
 * closed. Runs as the second lifecycle step of shutdown, right after {@link LeaderLease} hands the singleton work over.
 */
public final class ReplicaDrain implements SmartLifecycle {
  private static final Logger log = LoggerFactory.getLogger(ReplicaDrain.class);

  /** What a drain did: streams ended by the drain, how long it took, whether every in-flight call completed. */
  public record Report(int streams, Duration took, boolean callsCompleted) {}

  private final GrpcServers grpc;
  private final XdsServer xds;
  private final DrainProperties properties;
  private final ApplicationEventPublisher events;
  private volatile boolean running;
  private volatile Report last;

  public ReplicaDrain(GrpcServers grpc, XdsServer xds, DrainProperties properties, ApplicationEventPublisher events) {
    this.grpc = Objects.requireNonNull(grpc, "grpc");
    this.xds = Objects.requireNonNull(xds, "xds");
    this.properties = Objects.requireNonNull(properties, "properties");
    this.events = Objects.requireNonNull(events, "events");
  }

  @Override
  public void start() {
    running = true;
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  /** Right after the lease (phase {@code MAX_VALUE}), before the web server and everything else stops. */
  @Override
  public int getPhase() {
    return Integer.MAX_VALUE - 1;
  }

  @Override
  public void stop() {
    if (!running) {
      return;
    }
    running = false;
    try {
      last = drain();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      log.warn("drain interrupted; closing the remaining streams at once");
    }
  }

  /** The last drain's outcome, empty before shutdown. */
  public Optional<Report> lastDrain() {
    return Optional.ofNullable(last);
  }

  private Report drain() throws InterruptedException {
    long started = System.nanoTime();
    AvailabilityChangeEvent.publish(events, this, ReadinessState.REFUSING_TRAFFIC);
    grpc.stopAccepting();
    List<XdsServer.OpenStream> streams = xds.openStreams();
    log.info("draining: readiness off, no new connections; ending {} xDS stream(s) over {}", streams.size(),
        properties.window());
    int ended = 0;
    for (int i = 0; i < streams.size(); i++) {
      sleepUntil(started + offset(i, streams.size(), properties.window()).toNanos());
      if (streams.get(i).end()) {
        ended++;
      }
    }
    boolean completed = grpc.awaitCalls(properties.inFlightTimeout());
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    if (completed) {
      log.info("drained: {} xDS stream(s) ended, every call completed, in {} ms", ended, took.toMillis());
    } else {
      log.warn("drain: {} xDS stream(s) ended in {} ms; calls still running after {} are cut off", ended,
          took.toMillis(), properties.inFlightTimeout());
    }
    return new Report(ended, took, completed);
  }

  /** When the {@code i}-th of {@code n} streams is ended: evenly spaced, the first at once, the last before the end. */
  static Duration offset(int i, int n, Duration window) {
    return n == 0 ? Duration.ZERO : window.multipliedBy(i).dividedBy(n);
  }

  private static void sleepUntil(long nanoTime) throws InterruptedException {
    long wait = nanoTime - System.nanoTime();
    if (wait > 0) {
      java.util.concurrent.TimeUnit.NANOSECONDS.sleep(wait);
    }
  }
}
