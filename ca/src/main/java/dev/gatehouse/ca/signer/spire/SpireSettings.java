package dev.gatehouse.ca.signer.spire;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * How Gatehouse reaches its SPIRE Server.
 *
 * @param trustDomain the mesh's trust domain; the server's must be the same
 * @param socket the Server API Unix socket ({@code socket_path}); callers on it are "local", which MintX509SVID and
 *     GetBundle accept. Used in leaf mode.
 * @param serverAddress intermediate mode: the server's TCP address ({@code host:port}), where NewDownstreamX509CA is
 *     served to callers presenting a downstream X509-SVID (a local caller is not enough); null in leaf mode
 * @param downstreamSvidDir intermediate mode: {@code svid.pem}, {@code svid_key.pem}, {@code svid_bundle.pem} as
 *     spiffe-helper writes them from the SPIRE Agent; re-read when they change
 * @param serverId the SPIFFE ID the server's TLS certificate must carry
 * @param timeout deadline of every RPC
 */
public record SpireSettings(String trustDomain, Path socket, String serverAddress, Path downstreamSvidDir,
    String serverId, Duration timeout) {
  public static final String SVID = "svid.pem";
  public static final String SVID_KEY = "svid_key.pem";
  public static final String SVID_BUNDLE = "svid_bundle.pem";

  public SpireSettings {
    Objects.requireNonNull(trustDomain, "trustDomain");
    Objects.requireNonNull(timeout, "timeout");
    if (serverAddress != null && serverAddress.isBlank()) {
      serverAddress = null;
    }
    if (serverAddress == null) {
      Objects.requireNonNull(socket, "socket");
    } else {
      Objects.requireNonNull(downstreamSvidDir, "downstreamSvidDir");
    }
    if (serverId == null || serverId.isBlank()) {
      serverId = "spiffe://" + trustDomain + "/spire/server";
    }
  }

  /** Leaf mode over the Server API socket. */
  public static SpireSettings local(String trustDomain, Path socket, Duration timeout) {
    return new SpireSettings(trustDomain, socket, null, null, null, timeout);
  }

  /** Intermediate mode: NewDownstreamX509CA (and GetBundle) over mTLS with a downstream X509-SVID. */
  public static SpireSettings downstream(String trustDomain, String serverAddress, Path downstreamSvidDir,
      String serverId, Duration timeout) {
    return new SpireSettings(trustDomain, null, serverAddress, downstreamSvidDir, serverId, timeout);
  }

  public boolean isDownstream() {
    return serverAddress != null;
  }
}
