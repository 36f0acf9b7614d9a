package dev.gatehouse.controlplane.health;

import dev.gatehouse.xds.server.ProxySyncStatus;
import dev.gatehouse.xds.server.TypeSyncStatus;
import dev.gatehouse.xds.server.XdsServer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * Readiness detail {@code xdsProxies}: how many proxies are connected and which are stuck on a NACK (their last answer
 * for some type is a NACK, so they run on an older config than Gatehouse means them to), with the type, the refused
 * version, the resources and the proxy's error, for the first {@value #SHOWN}.
 *
 * <p>The status stays UP: a proxy refusing its config is that proxy's problem (or a translation bug), and taking this
 * replica out of its Service would move every other proxy without helping the one that NACKs. The detail is what an
 * operator or a probe script reads; {@code gatehouse_xds_proxies_rejecting{type}} is the number to alert on.
 */
public final class XdsProxiesHealthIndicator implements HealthIndicator {
  static final int SHOWN = 10;
  private static final int MAX_ERROR_CHARS = 300;

  private final XdsServer server;

  public XdsProxiesHealthIndicator(XdsServer server) {
    this.server = server;
  }

  @Override
  public Health health() {
    XdsServer.StuckOnNack stuck = server.stuckOnNack(SHOWN);
    List<Map<String, Object>> shown = new ArrayList<>();
    for (ProxySyncStatus p : stuck.shown()) {
      for (TypeSyncStatus t : p.rejectingTypes()) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("proxy", p.workload().isEmpty() ? p.nodeId() : p.workload());
        entry.put("nodeId", p.nodeId());
        entry.put("type", t.typeUrl());
        entry.put("nackedVersion", t.nackedVersion());
        entry.put("resources", t.nackedResources());
        entry.put("err", t.nackCode());
        entry.put("error", truncate(t.nackError()));
        entry.put("since", String.valueOf(t.nackedAt()));
        shown.add(entry);
      }
    }
    Health.Builder health = Health.up()
        .withDetail("connectedStreams", server.connectedStreams())
        .withDetail("stuckOnNack", stuck.count());
    if (!shown.isEmpty()) {
      health.withDetail("stuck", shown);
      if (stuck.count() > stuck.shown().size()) {
        health.withDetail("notShown", stuck.count() - stuck.shown().size());
      }
    }
    return health.build();
  }

  private static String truncate(String error) {
    return error.length() <= MAX_ERROR_CHARS ? error : error.substring(0, MAX_ERROR_CHARS) + "...";
  }
}
