package dev.gatehouse.xds.server;

import java.time.Instant;

/**
 * One proxy's sync state for one xDS type, as {@code /debug/syncz} shows it. Times are null when it never happened.
 *
 * @param resources how many resources of this type the proxy gets now
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
    Instant nackedAt,
    boolean delta) {}
