package dev.gatehouse.controlplane.ha;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Graceful shutdown ({@code gatehouse.drain}), as istiod's {@code --shutdownDuration}: on SIGTERM the replica turns
 * readiness off, stops taking connections, and ends its xDS streams spread over {@code window}, so the proxies
 * reconnect to the other replicas a few at a time instead of all at once. The pod's
 * {@code terminationGracePeriodSeconds} must exceed {@code window + inFlightTimeout} (the chart computes it).
 *
 * @param window the streams open at SIGTERM are ended evenly over this period; zero ends them all at once
 * @param inFlightTimeout after the last stream, how long calls still running (CreateCertificate) may take to complete
 */
@ConfigurationProperties("gatehouse.drain")
public record DrainProperties(
    @DefaultValue("10s") Duration window,
    @DefaultValue("5s") Duration inFlightTimeout) {

  public DrainProperties {
    if (window.isNegative()) {
      throw new IllegalArgumentException("gatehouse.drain.window must not be negative, got " + window);
    }
    if (inFlightTimeout.isNegative()) {
      throw new IllegalArgumentException("gatehouse.drain.in-flight-timeout must not be negative, got " + inFlightTimeout);
    }
  }
}
