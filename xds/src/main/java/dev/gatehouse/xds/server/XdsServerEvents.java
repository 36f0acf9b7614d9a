package dev.gatehouse.xds.server;

import java.time.Duration;

/**
 * What the xDS server reports for metrics (Istio's {@code pilot_*} names are mapped in the control plane). Called on
 * gRPC and push threads; implementations must be thread-safe and must not block.
 */
public interface XdsServerEvents {
  XdsServerEvents NONE = new XdsServerEvents() {};

  default void streamOpened() {}

  default void streamClosed() {}

  /** One response sent: {@code pilot_xds_pushes{type}}, {@code pilot_xds_config_size_bytes{type}}. */
  default void pushed(String typeUrl, int resources, long bytes) {}

  /**
   * A NACK from the proxy {@code proxyId} (istiod's proxy ID, {@code <pod>.<namespace>}; the node id when the stream
   * is not identified): {@code pilot_total_xds_rejects{type}}, {@code pilot_xds_<type>_reject{node,err}}.
   */
  default void rejected(Nack nack, String proxyId) {}

  /** From a snapshot's arrival to the proxy's ACK of the config it produced: {@code pilot_proxy_convergence_time}. */
  default void converged(Duration sinceSnapshot) {}

  /** One snapshot recomputed and handed to every stream: {@code pilot_xds_push_time}. */
  default void pushCompleted(Duration took, int distinctProxies, int streams) {}
}
