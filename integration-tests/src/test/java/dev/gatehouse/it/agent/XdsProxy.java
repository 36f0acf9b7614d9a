package dev.gatehouse.it.agent;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ConnectivityState;
import io.grpc.Grpc;
import io.grpc.HandlerRegistry;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.Status;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pod agent's xDS proxy, as istio-agent runs it for proxyless gRPC ({@code pkg/istio-agent/xds_proxy.go}): the
 * application's grpc bootstrap points at this proxy on the pod's own loopback address with {@code insecure} channel
 * credentials, and the proxy forwards each ADS stream to Gatehouse's secure xDS port (15012) over mTLS, presenting the
 * workload certificate the agent installed ({@code key.pem}, {@code cert-chain.pem}; trusting {@code root-cert.pem}),
 * so Gatehouse authenticates the pod by its certificate and checks the node it claims against it.
 *
 * <p>Messages are forwarded as bytes (no parsing: what the application sends is what Gatehouse gets, and the reverse),
 * for both {@code StreamAggregatedResources} and {@code DeltaAggregatedResources}; any other method is
 * {@code UNIMPLEMENTED}. The application's request headers are not forwarded (the agent's certificate is the only
 * credential upstream).
 *
 * <p>Certificate rotation: the proxy re-reads the files every {@code pollInterval}. When the chain changes (and the
 * key on disk matches its leaf), it dials a new upstream connection with the new certificate; once that connection
 * is READY it becomes the one new streams use, and every stream still running on the old connection is ended towards
 * the application with {@code UNAVAILABLE} ("re-dialed with a rotated certificate") and cancelled upstream, after
 * which the old connection is shut down. gRPC xDS clients (grpc-java, C-core) re-open a stream that had received
 * responses at once, without back-off, and keep their cached resources meanwhile; so the application's stream
 * reconnects cleanly, onto the connection that presents the current certificate. If the new connection does not get
 * READY, the old one stays and the next poll tries again.
 *
 * <p>Istio's own proxy keeps its upstream connection across rotations (the new certificate is only used at the next
 * dial, forced at the latest by istiod's 30-minute max connection age); this one re-dials at once, so a test can see
 * the new certificate in use within seconds.
 *
 * <p>Thread-safety: safe from any thread; each proxied stream serializes its own calls.
 */
public final class XdsProxy implements AutoCloseable {
  public static final String ADS_SERVICE = "envoy.service.discovery.v3.AggregatedDiscoveryService";
  private static final Set<String> METHODS = Set.of(
      ADS_SERVICE + "/StreamAggregatedResources", ADS_SERVICE + "/DeltaAggregatedResources");
  private static final Logger log = LoggerFactory.getLogger(XdsProxy.class);
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(10);

  /**
   * Where the proxy forwards to.
   *
   * @param host loopback address of Gatehouse's secure port
   * @param port the secure port (gatehouse.grpc.secure-port, 15012)
   * @param authority the DNS name Gatehouse's serving certificate must carry, e.g. {@code istiod.istio-system.svc}
   */
  public record Upstream(String host, int port, String authority) {
    public Upstream {
      Objects.requireNonNull(host, "host");
      Objects.requireNonNull(authority, "authority");
      if (!host.startsWith("127.")) {
        throw new IllegalArgumentException("tests talk to loopback only, not " + host);
      }
    }
  }

  /** One upstream dial the proxy made and used: which certificate it presents. */
  public record Dial(int generation, String serialHex, Instant notAfter, Instant at) {}

  /** How an upstream stream ended (not counting the proxy's own hand-offs); the description names the cause. */
  public record UpstreamClose(int generation, Status.Code code, String description, Instant at) {}

  private final String name;
  private final Upstream upstream;
  private final Path certificateDir;
  private final Server server;
  private final ScheduledExecutorService poller;
  private final Set<ProxiedStream> streams = ConcurrentHashMap.newKeySet();
  private final List<Dial> dials = new CopyOnWriteArrayList<>();
  private final List<UpstreamClose> upstreamCloses = new CopyOnWriteArrayList<>();
  private final List<String> presentedSerials = new CopyOnWriteArrayList<>();
  private final AtomicInteger downstreamStreams = new AtomicInteger();
  private final AtomicInteger handOffs = new AtomicInteger();
  private final AtomicInteger generations = new AtomicInteger();
  private volatile Generation current;
  private volatile boolean closed;

  private record Material(String chainPem, String keyPem, String rootPem, X509Certificate leaf) {}

  private record Generation(int number, ManagedChannel channel, Material material) {}

  private XdsProxy(String name, Upstream upstream, Path certificateDir, Server server, Duration pollInterval) {
    this.name = name;
    this.upstream = upstream;
    this.certificateDir = certificateDir;
    this.server = server;
    this.poller = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "xds-proxy-" + name);
      t.setDaemon(true);
      return t;
    });
    poller.scheduleWithFixedDelay(this::poll, pollInterval.toMillis(), pollInterval.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Binds the proxy on {@code podIp} (a free port) and dials the first upstream connection with the certificate in
   * {@code certificateDir}, which must be installed already (as the app, the proxy starts after the agent's first
   * certificate). The first dial is not required to succeed: a refused certificate shows in the streams' statuses.
   *
   * @param name for logs and threads, e.g. the pod name
   */
  public static XdsProxy start(String name, String podIp, Upstream upstream, Path certificateDir, Duration pollInterval)
      throws IOException {
    if (!podIp.startsWith("127.")) {
      throw new IllegalArgumentException("a pod's address is loopback here, not " + podIp);
    }
    XdsProxy[] self = new XdsProxy[1];
    Server server = NettyServerBuilder.forAddress(new InetSocketAddress(podIp, 0))
        .fallbackHandlerRegistry(new HandlerRegistry() {
          @Override
          public ServerMethodDefinition<?, ?> lookupMethod(String methodName, String authority) {
            return METHODS.contains(methodName) ? self[0].definition(methodName) : null;
          }
        })
        .build();
    XdsProxy proxy = new XdsProxy(name, upstream, certificateDir, server, pollInterval);
    self[0] = proxy;
    try {
      Material material = proxy.read().orElseThrow(() ->
          new IOException("no usable certificate in " + certificateDir + " (key.pem, cert-chain.pem, root-cert.pem)"));
      proxy.current = proxy.dial(material);
      try {
        proxy.awaitReady(proxy.current);
      } catch (IOException e) {
        // Not fatal: the channel keeps trying, and the application's streams see why Gatehouse refuses it.
        log.warn("{}: first upstream connection (serial {}) not ready: {}", name, serial(material), e.getMessage());
      }
      server.start();
    } catch (IOException | RuntimeException e) {
      proxy.close();
      throw e;
    }
    log.info("{}: xDS proxy on {} -> {}:{} (mTLS, certificate serial {})", name, proxy.address(), upstream.host(),
        upstream.port(), proxy.current.material().leaf().getSerialNumber().toString(16));
    return proxy;
  }

  /** {@code <podIp>:<port>}: what the application's bootstrap names as its xDS server ({@code insecure}). */
  public String address() {
    InetSocketAddress a = (InetSocketAddress) server.getListenSockets().get(0);
    return a.getAddress().getHostAddress() + ":" + a.getPort();
  }

  /** Every upstream connection that became the current one, oldest first. */
  public List<Dial> dials() {
    return List.copyOf(dials);
  }

  /** Serial (hex) of the certificate the TLS session of each upstream stream presented, as the TLS stack reports it. */
  public List<String> presentedSerials() {
    return List.copyOf(presentedSerials);
  }

  /** Upstream streams that ended by themselves (Gatehouse refused or closed them), oldest first. */
  public List<UpstreamClose> upstreamCloses() {
    return List.copyOf(upstreamCloses);
  }

  /** How many streams the application opened through the proxy. */
  public int downstreamStreams() {
    return downstreamStreams.get();
  }

  /** How many application streams were ended because the proxy re-dialed with a rotated certificate. */
  public int handOffs() {
    return handOffs.get();
  }

  /** Streams currently proxied. */
  public int openStreams() {
    return streams.size();
  }

  // ---- upstream connections ---------------------------------------------------------------------------------------

  private void poll() {
    if (closed) {
      return;
    }
    try {
      Generation cur = current;
      java.util.Optional<Material> material = read();
      if (material.isEmpty() || material.get().chainPem().equals(cur.material().chainPem())) {
        return;
      }
      Generation next = dial(material.get());
      try {
        awaitReady(next);
      } catch (IOException e) {
        log.warn("{}: new upstream connection with serial {} not ready ({}); keeping serial {}", name,
            serial(material.get()), e.getMessage(), serial(cur.material()));
        next.channel().shutdownNow();
        return;
      }
      current = next;
      List<ProxiedStream> old = streams.stream().filter(s -> s.generation == cur).toList();
      String why = "xDS proxy re-dialed " + upstream.host() + ":" + upstream.port() + " with a rotated certificate"
          + " (serial " + serial(cur.material()) + " -> " + serial(next.material()) + ")";
      log.info("{}: {}; handing {} stream(s) over", name, why, old.size());
      for (ProxiedStream s : old) {
        if (s.handOff(why)) {
          handOffs.incrementAndGet();
        }
      }
      cur.channel().shutdown();
    } catch (RuntimeException e) {
      log.warn("{}: certificate poll failed: {}", name, e.toString());
    }
  }

  private Generation dial(Material material) {
    TlsChannelCredentials.Builder tls = TlsChannelCredentials.newBuilder();
    try {
      tls.keyManager(stream(material.chainPem()), stream(material.keyPem()));
      tls.trustManager(stream(material.rootPem()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ManagedChannel channel = Grpc.newChannelBuilderForAddress(upstream.host(), upstream.port(), tls.build())
        .overrideAuthority(upstream.authority())
        .build();
    return new Generation(generations.incrementAndGet(), channel, material);
  }

  /** Connects the channel and waits until READY; records the dial. */
  private void awaitReady(Generation g) throws IOException {
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    ConnectivityState state = g.channel().getState(true);
    while (state != ConnectivityState.READY) {
      // TRANSIENT_FAILURE: the handshake failed (e.g. Gatehouse refused the certificate); the caller retries later.
      if (System.nanoTime() > deadline || state == ConnectivityState.SHUTDOWN
          || state == ConnectivityState.TRANSIENT_FAILURE) {
        throw new IOException("upstream " + upstream.host() + ":" + upstream.port() + " is " + state);
      }
      CountDownLatch changed = new CountDownLatch(1);
      g.channel().notifyWhenStateChanged(state, changed::countDown);
      try {
        changed.await(200, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
      state = g.channel().getState(true);
    }
    dials.add(new Dial(g.number(), serial(g.material()), g.material().leaf().getNotAfter().toInstant(),
        Instant.now()));
  }

  /** The installed files, if complete and consistent (the agent writes key, then chain: a poll can fall between). */
  private java.util.Optional<Material> read() throws UncheckedIOException {
    try {
      String chain = Files.readString(certificateDir.resolve(WorkloadAgent.CERT_CHAIN), StandardCharsets.US_ASCII);
      String key = Files.readString(certificateDir.resolve(WorkloadAgent.KEY), StandardCharsets.US_ASCII);
      String root = Files.readString(certificateDir.resolve(WorkloadAgent.ROOT_CERT), StandardCharsets.US_ASCII);
      X509Certificate leaf = WorkloadAgent.Pem.certificates(chain).get(0);
      if (!matches(leaf, key)) {
        return java.util.Optional.empty();
      }
      return java.util.Optional.of(new Material(chain, key, root, leaf));
    } catch (NoSuchFileException e) {
      return java.util.Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
      return java.util.Optional.empty();
    }
  }

  private static boolean matches(X509Certificate leaf, String keyPem) {
    try {
      String b64 = keyPem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
      PrivateKey key = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(b64)));
      if (!(leaf.getPublicKey() instanceof ECPublicKey pub) || !(key instanceof ECPrivateKey priv)) {
        return false;
      }
      // A signature round trip proves the pair.
      java.security.Signature s = java.security.Signature.getInstance("SHA256withECDSA");
      s.initSign(priv);
      byte[] probe = "xds-proxy".getBytes(StandardCharsets.US_ASCII);
      s.update(probe);
      byte[] sig = s.sign();
      s.initVerify(pub);
      s.update(probe);
      return s.verify(sig);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      return false;
    }
  }

  private static String serial(Material m) {
    return m.leaf().getSerialNumber().toString(16);
  }

  private static InputStream stream(String pem) {
    return new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII));
  }

  // ---- proxied streams --------------------------------------------------------------------------------------------

  private ServerMethodDefinition<byte[], byte[]> definition(String fullMethodName) {
    MethodDescriptor<byte[], byte[]> method = MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.BIDI_STREAMING)
        .setFullMethodName(fullMethodName)
        .setRequestMarshaller(Bytes.INSTANCE)
        .setResponseMarshaller(Bytes.INSTANCE)
        .build();
    ServerCallHandler<byte[], byte[]> handler = this::startStream;
    return ServerMethodDefinition.create(method, handler);
  }

  private ServerCall.Listener<byte[]> startStream(ServerCall<byte[], byte[]> down, Metadata ignoredHeaders) {
    downstreamStreams.incrementAndGet();
    if (closed) {
      down.close(Status.UNAVAILABLE.withDescription("xDS proxy closed"), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    Generation g = current;
    ClientCall<byte[], byte[]> up = g.channel().newCall(down.getMethodDescriptor(), CallOptions.DEFAULT);
    ProxiedStream s = new ProxiedStream(g, down, up);
    streams.add(s);
    s.start();
    return s.downstreamListener();
  }

  private final class ProxiedStream {
    final Generation generation;
    final ServerCall<byte[], byte[]> down;
    final ClientCall<byte[], byte[]> up;
    private boolean ended;
    private boolean headersSent;
    private volatile boolean presented;

    ProxiedStream(Generation generation, ServerCall<byte[], byte[]> down, ClientCall<byte[], byte[]> up) {
      this.generation = generation;
      this.down = down;
      this.up = up;
    }

    synchronized void start() {
      up.start(new ClientCall.Listener<>() {
        @Override
        public void onHeaders(Metadata headers) {
          recordPresentedCertificate();
          synchronized (ProxiedStream.this) {
            if (!ended) {
              down.sendHeaders(new Metadata());
              headersSent = true;
            }
          }
        }

        @Override
        public void onMessage(byte[] message) {
          synchronized (ProxiedStream.this) {
            if (!ended) {
              if (!headersSent) {
                down.sendHeaders(new Metadata());
                headersSent = true;
              }
              down.sendMessage(message);
              up.request(1);
            }
          }
        }

        @Override
        public void onClose(Status status, Metadata trailers) {
          if (!presented) {
            recordPresentedCertificate(); // a refusal is trailers-only: no onHeaders
          }
          boolean byUpstream;
          synchronized (ProxiedStream.this) {
            byUpstream = !ended;
            if (byUpstream) {
              ended = true;
              down.close(status, new Metadata());
            }
          }
          streams.remove(ProxiedStream.this);
          if (byUpstream) {
            String description = status.getDescription()
                + (status.getCause() == null ? "" : " (cause: " + status.getCause() + ")");
            upstreamCloses.add(new UpstreamClose(generation.number(), status.getCode(), description, Instant.now()));
            log.info("{}: upstream stream (connection {}) ended: {} {}", name, generation.number(), status.getCode(),
                description);
          }
        }
      }, new Metadata());
      up.request(1);
      down.request(1);
    }

    private void recordPresentedCertificate() {
      try {
        SSLSession session = up.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
        Certificate[] local = session == null ? null : session.getLocalCertificates();
        if (local != null && local.length > 0 && local[0] instanceof X509Certificate leaf) {
          presented = true;
          BigInteger serial = leaf.getSerialNumber();
          presentedSerials.add(serial.toString(16));
        }
      } catch (RuntimeException e) {
        log.debug("{}: no TLS session attributes: {}", name, e.toString());
      }
    }

    ServerCall.Listener<byte[]> downstreamListener() {
      return new ServerCall.Listener<>() {
        @Override
        public void onMessage(byte[] message) {
          synchronized (ProxiedStream.this) {
            if (!ended) {
              up.sendMessage(message);
              down.request(1);
            }
          }
        }

        @Override
        public void onHalfClose() {
          synchronized (ProxiedStream.this) {
            if (!ended) {
              up.halfClose();
            }
          }
        }

        @Override
        public void onCancel() {
          synchronized (ProxiedStream.this) {
            if (!ended) {
              ended = true;
              up.cancel("application cancelled its xDS stream", null);
            }
          }
          streams.remove(ProxiedStream.this);
        }

        @Override
        public void onComplete() {
          streams.remove(ProxiedStream.this);
        }
      };
    }

    /** Ends the stream on both sides; false if it had ended already. */
    synchronized boolean handOff(String why) {
      if (ended) {
        return false;
      }
      ended = true;
      up.cancel(why, null);
      down.close(Status.UNAVAILABLE.withDescription(why), new Metadata());
      streams.remove(this);
      return true;
    }
  }

  private enum Bytes implements MethodDescriptor.Marshaller<byte[]> {
    INSTANCE;

    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        stream.transferTo(out);
        return out.toByteArray();
      } catch (IOException e) {
        throw Status.INTERNAL.withDescription("cannot read message").withCause(e).asRuntimeException();
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    poller.shutdownNow();
    server.shutdownNow();
    for (ProxiedStream s : List.copyOf(streams)) {
      s.handOff("xDS proxy closed");
    }
    Generation g = current;
    if (g != null) {
      g.channel().shutdownNow();
    }
  }
}
