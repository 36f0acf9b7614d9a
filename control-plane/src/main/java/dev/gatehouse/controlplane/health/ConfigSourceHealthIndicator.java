package dev.gatehouse.controlplane.health;

import dev.gatehouse.controlplane.source.ConfigSource;
import dev.gatehouse.controlplane.source.MeshConfigStream;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * Whether the config source is receiving changes. DOWN while, e.g., the Kubernetes watch is disconnected, with
 * since when in the detail. It is deliberately not part of readiness: like istiod, Gatehouse keeps serving the last
 * good snapshot during an API-server outage, and pulling every replica out of service then would cut proxies off
 * their certificates and config.
 */
public final class ConfigSourceHealthIndicator implements HealthIndicator {
  private final ConfigSource source;
  private final MeshConfigStream stream;

  public ConfigSourceHealthIndicator(ConfigSource source, MeshConfigStream stream) {
    this.source = source;
    this.stream = stream;
  }

  @Override
  public Health health() {
    ConfigSource.SourceHealth h = source.health();
    Health.Builder b = h.connected() ? Health.up() : Health.down();
    return b.withDetail("source", source.description())
        .withDetail("detail", h.detail())
        .withDetail("snapshotVersion", stream.version())
        .withDetail("objects", stream.countsByKind())
        .build();
  }
}
