package dev.gatehouse.ca.signer.spire;

import dev.gatehouse.ca.pem.PemCodec;
import dev.gatehouse.ca.signer.upstream.UpstreamException;
import dev.gatehouse.ca.signer.upstream.UpstreamException.Kind;
import io.grpc.ManagedChannel;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connections to the SPIRE Server, on one Netty epoll event loop: gRPC over the Server API Unix domain socket
 * (leaf mode), or gRPC over TCP with mutual TLS presenting the downstream X509-SVID (intermediate mode). The SVID
 * files are re-read when they change (spiffe-helper rewrites them before the SVID expires) and the connection is
 * then re-established with the new one. Thread-safe.
 */
final class SpireServerChannels implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SpireServerChannels.class);

  private final SpireSettings settings;
  private final EventLoopGroup group;
  private ManagedChannel channel;
  private FileTime svidVersion;

  SpireServerChannels(SpireSettings settings) {
    this.settings = Objects.requireNonNull(settings, "settings");
    if (!Epoll.isAvailable()) {
      throw new IllegalStateException("the SPIRE signer needs Netty's native epoll transport (Linux x86_64): "
          + Epoll.unavailabilityCause());
    }
    this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("gatehouse-spire", true),
        EpollIoHandler.newFactory());
  }

  /** The channel to use now; in intermediate mode a changed SVID opens a new one. */
  synchronized ManagedChannel channel() throws UpstreamException {
    if (!settings.isDownstream()) {
      if (channel == null) {
        channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(settings.socket().toString()))
            .eventLoopGroup(group)
            .channelType(EpollDomainSocketChannel.class)
            // SPIRE's Go server ignores :authority on its socket; a fixed one keeps grpc from deriving it from a path.
            .overrideAuthority("localhost")
            .usePlaintext()
            .build();
      }
      return channel;
    }
    FileTime version = svidVersion();
    if (channel == null || !version.equals(svidVersion)) {
      ManagedChannel fresh = downstreamChannel();
      if (channel != null) {
        log.info("downstream X509-SVID in {} changed; reconnecting to the SPIRE Server", settings.downstreamSvidDir());
        channel.shutdown();
      }
      channel = fresh;
      svidVersion = version;
    }
    return channel;
  }

  private FileTime svidVersion() throws UpstreamException {
    try {
      FileTime newest = FileTime.fromMillis(0);
      for (String file : List.of(SpireSettings.SVID, SpireSettings.SVID_KEY, SpireSettings.SVID_BUNDLE)) {
        FileTime t = Files.getLastModifiedTime(settings.downstreamSvidDir().resolve(file));
        newest = t.compareTo(newest) > 0 ? t : newest;
      }
      return newest;
    } catch (IOException e) {
      throw new UpstreamException(Kind.UNAVAILABLE, "no downstream X509-SVID in " + settings.downstreamSvidDir()
          + " (" + e.getMessage() + "); is spiffe-helper running?", e);
    }
  }

  private ManagedChannel downstreamChannel() throws UpstreamException {
    Path dir = settings.downstreamSvidDir();
    List<X509Certificate> svid;
    PrivateKey key;
    List<X509Certificate> bundle;
    try {
      svid = PemCodec.decodeCertificates(Files.readString(dir.resolve(SpireSettings.SVID), StandardCharsets.US_ASCII));
      key = PemCodec.decodePrivateKey(Files.readString(dir.resolve(SpireSettings.SVID_KEY), StandardCharsets.US_ASCII));
      bundle = PemCodec.decodeCertificates(Files.readString(dir.resolve(SpireSettings.SVID_BUNDLE), StandardCharsets.US_ASCII));
    } catch (IOException | PemCodec.PemException e) {
      throw new UpstreamException(Kind.UNAVAILABLE, "cannot read the downstream X509-SVID in " + dir + ": " + e.getMessage(), e);
    }
    if (svid.isEmpty() || bundle.isEmpty()) {
      throw new UpstreamException(Kind.UNAVAILABLE, "the downstream X509-SVID in " + dir + " is incomplete");
    }
    try {
      return NettyChannelBuilder.forTarget(settings.serverAddress())
          .eventLoopGroup(group)
          .channelType(EpollSocketChannel.class)
          .sslContext(GrpcSslContexts.forClient()
              .keyManager(key, svid.toArray(X509Certificate[]::new))
              .trustManager(new SpiffeServerTrust(bundle, settings.serverId()))
              .build())
          .build();
    } catch (IOException | RuntimeException e) {
      throw new UpstreamException(Kind.REFUSED, "cannot set up mTLS to the SPIRE Server with the SVID in " + dir + ": "
          + e.getMessage(), e);
    }
  }

  @Override
  public synchronized void close() {
    if (channel != null) {
      channel.shutdownNow();
      channel = null;
    }
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }
}
