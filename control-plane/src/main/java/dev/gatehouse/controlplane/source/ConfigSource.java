package dev.gatehouse.controlplane.source;

/**
 * A source of mesh objects that feeds the {@link MeshConfigStream}: a directory of YAML or the Kubernetes API.
 * Exactly one runs per process.
 */
public interface ConfigSource extends AutoCloseable {

  /** Where config comes from, for the startup line and health: "files under /abs/dir", "kubernetes API https://...". */
  String description();

  /** Loads the initial state (the stream's initial sync completes when it is in) and starts watching. */
  void start();

  /** Whether the source is currently receiving changes; a disconnected source keeps the last good snapshot. */
  SourceHealth health();

  @Override
  void close();

  /**
   * @param connected false while changes cannot be received (e.g. the Kubernetes watch is down)
   * @param detail one line for health and logs
   */
  record SourceHealth(boolean connected, String detail) {}
}
