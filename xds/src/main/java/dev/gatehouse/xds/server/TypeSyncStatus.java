package dev.gatehouse.xds.server;

import java.time.Instant;
import java.util.List;

/**
 * One proxy's sync state for one xDS type, as {@code /debug/syncz} shows it. Times are null when it never happened;
 * the NACK fields describe the last NACK of the type on this stream (kept after a later ACK) and are empty before any.
 *
 * @param resources how many resources of this type the proxy gets now
 * @param nackCode the NACK's gRPC code as istiod's {@code err} label spells it ({@code InvalidArgument})
 * @param nackedResources the resources the NACK refused, as far as its error names them
 * @param rejecting true while the last answer of the proxy for this type is a NACK (no ACK since): the proxy runs on an
 *     older config of this type than Gatehouse means it to
 */
public record TypeSyncStatus(
    String typeUrl,
    int resources,
    String currentVersion,
    String sentVersion,
    String sentNonce,
    Instant sentAt,
    String ackedVersion,
    Instant ackedAt,
    String nackedVersion,
    String nackError,
    String nackCode,
    List<String> nackedResources,
    Instant nackedAt,
    boolean rejecting,
    boolean delta) {

  public TypeSyncStatus {
    nackedResources = List.copyOf(nackedResources);
  }

  static TypeSyncStatus of(String typeUrl, int resources, String currentVersion, String sentVersion, String sentNonce,
      Instant sentAt, String ackedVersion, Instant ackedAt, Nack lastNack, boolean rejecting, boolean delta) {
    return new TypeSyncStatus(typeUrl, resources, currentVersion, sentVersion, sentNonce, sentAt, ackedVersion, ackedAt,
        lastNack == null ? "" : lastNack.version(),
        lastNack == null ? "" : lastNack.error(),
        lastNack == null ? "" : lastNack.errLabel(),
        lastNack == null ? List.of() : lastNack.resources(),
        lastNack == null ? null : lastNack.at(),
        rejecting,
        delta);
  }
}
