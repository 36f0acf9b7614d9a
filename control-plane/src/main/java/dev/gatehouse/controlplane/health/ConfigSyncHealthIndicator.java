package dev.gatehouse.controlplane.health;

import dev.gatehouse.controlplane.source.ConfigSource;
import dev.gatehouse.controlplane.source.MeshConfigStream;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * Readiness: UP once the config source delivered its initial state (istiod likewise waits for its caches to sync
 * before serving). Part of the {@code readiness} health group as {@code configSync}.
 */
public final class ConfigSyncHealthIndicator implements HealthIndicator {
  private final MeshConfigStream stream;
  private final ConfigSource source;

  public ConfigSyncHealthIndicator(MeshConfigStream stream, ConfigSource source) {
    this.stream = stream;
    this.source = source;
  }

  @Override
  public Health health() {
    if (!stream.synced()) {
      return Health.outOfService().withDetail("waiting", "initial sync of " + source.description()).build();
    }
    return Health.up().withDetail("snapshotVersion", stream.version()).build();
  }
}
