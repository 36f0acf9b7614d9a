package dev.gatehouse.controlplane.config;

import dev.gatehouse.controlplane.source.ConfigSource;
import dev.gatehouse.controlplane.source.MeshConfigStream;
import dev.gatehouse.model.MeshSnapshot;
import java.util.Map;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.event.EventListener;

/**
 * Logs the one startup line: where config comes from, how many objects of each kind were loaded, and every
 * address Gatehouse listens on. Written once the application is ready and the source's initial sync is done,
 * whichever comes last.
 */
public final class StartupReport {
  private static final Logger log = LoggerFactory.getLogger("dev.gatehouse.Gatehouse");

  private final ConfigSource source;
  private final MeshConfigStream stream;
  private final ListeningAddresses addresses;

  public StartupReport(ConfigSource source, MeshConfigStream stream, ListeningAddresses addresses) {
    this.source = source;
    this.stream = stream;
    this.addresses = addresses;
  }

  @EventListener
  public void onWebServer(WebServerInitializedEvent event) {
    String host = event.getApplicationContext().getEnvironment().getProperty("server.address", "0.0.0.0");
    String ns = event.getApplicationContext().getServerNamespace();
    addresses.register(ns == null ? "http" : "http-" + ns, host + ":" + event.getWebServer().getPort());
  }

  @EventListener
  public void onReady(ApplicationReadyEvent event) {
    stream.initialSync().thenRun(() -> log.info(line()));
  }

  /** The startup line, e.g. "Gatehouse ready: config from files under /x (snapshot 42: 3 Namespace, ...)". */
  public String line() {
    MeshSnapshot snapshot = stream.current();
    Map<String, Integer> counts = snapshot.counts();
    String kinds =
        counts.entrySet().stream()
            .filter(e -> !e.getKey().equals("invalid"))
            .map(e -> e.getValue() + " " + e.getKey())
            .collect(Collectors.joining(", "));
    return "Gatehouse ready: config from " + source.description() + " (snapshot version " + snapshot.version() + ": "
        + kinds + "; " + counts.getOrDefault("invalid", 0) + " invalid policies); listening on "
        + addresses.describe();
  }
}
