package dev.gatehouse.xds.server;

import java.time.Instant;
import java.util.List;

/**
 * One connected xDS stream, as {@code /debug/syncz} and {@code /debug/connections} show it.
 *
 * @param nodeId the node id the proxy sent ("" before its first request)
 * @param workload the pod it claims ({@code namespace/name}); "" before its first request
 * @param workloadKnown false while the pod is not in the snapshot (it then gets an empty config)
 * @param snapshotVersion the mesh snapshot its current config was computed from
 * @param lastNack the most recent NACK of this stream, any type (null when it never NACKed)
 * @param stuckOnNack true while, for some type, the proxy's last answer is a NACK: it runs on an older config than
 *     Gatehouse means it to (see {@link TypeSyncStatus#rejecting()})
 */
public record ProxySyncStatus(
    long streamId,
    String nodeId,
    String proxyKind,
    String workload,
    String ip,
    String caller,
    Instant connectedAt,
    boolean workloadKnown,
    long snapshotVersion,
    int translationErrors,
    Nack lastNack,
    boolean stuckOnNack,
    List<TypeSyncStatus> types) {

  public ProxySyncStatus {
    types = List.copyOf(types);
  }

  /** The types whose last answer is a NACK. */
  public List<TypeSyncStatus> rejectingTypes() {
    return types.stream().filter(TypeSyncStatus::rejecting).toList();
  }
}
