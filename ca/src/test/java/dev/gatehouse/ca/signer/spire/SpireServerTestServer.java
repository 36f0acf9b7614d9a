package dev.gatehouse.ca.signer.spire;

import com.google.protobuf.ByteString;
import dev.gatehouse.api.spire.server.bundle.v1.BundleGrpc;
import dev.gatehouse.api.spire.server.bundle.v1.GetBundleRequest;
import dev.gatehouse.api.spire.server.svid.v1.MintX509SVIDRequest;
import dev.gatehouse.api.spire.server.svid.v1.MintX509SVIDResponse;
import dev.gatehouse.api.spire.server.svid.v1.NewDownstreamX509CARequest;
import dev.gatehouse.api.spire.server.svid.v1.NewDownstreamX509CAResponse;
import dev.gatehouse.api.spire.server.svid.v1.SVIDGrpc;
import dev.gatehouse.api.spire.types.Bundle;
import dev.gatehouse.api.spire.types.SPIFFEID;
import dev.gatehouse.api.spire.types.X509SVID;
import dev.gatehouse.ca.pem.PemCodec;
import dev.gatehouse.ca.signer.upstream.UpstreamTestCa;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;

/**
 * A SPIRE Server test server: the Server API RPCs Gatehouse calls, as real gRPC on a Unix domain socket (Netty epoll)
 * and on a TCP port with TLS, over a real BouncyCastle CA ({@link UpstreamTestCa}). It enforces SPIRE's authorization
 * (pkg/server/api/middleware): callers on the socket are "local" (MintX509SVID, GetBundle); on TCP a caller is a
 * downstream only when it presents an X509-SVID of this trust domain registered as a downstream entry
 * (NewDownstreamX509CA); anything else is PERMISSION_DENIED. It checks the CSR as SPIRE's SVID service does (DER,
 * signature, exactly one URI SAN, a SPIFFE ID in the trust domain) and answers SPIRE-shaped messages: X509SVID with a
 * DER chain without the root, id and expires_at; Bundle with trust_domain, x509_authorities, refresh_hint and an
 * increasing sequence_number. CA rotation follows SPIRE's slots: prepare (the next authority joins the bundle),
 * activate (it signs), prune (the old one leaves). Faults: stop/restart, delay, wrong answers, another trust domain.
 *
 * <p>Not SPIRE: no datastore, no registration entries beyond the downstream IDs, no JWT.
 */
public final class SpireServerTestServer implements AutoCloseable {
  /** What the signing RPCs answer, for the "unverifiable upstream answer" tests. */
  public enum Answer { CORRECT, GARBAGE_DER, WRONG_SAN, WRONG_KEY, FOREIGN_CHAIN }

  /** One call as received: the RPC, whether the caller was local, the downstream ID it presented, the request. */
  public record Received(String method, boolean local, String callerId, Object request) {}

  private static final Context.Key<String> CALLER = Context.key("spire-caller");
  private static final String LOCAL = "local";
  private static final Duration DEFAULT_SVID_TTL = Duration.ofHours(1);
  private static final Duration DEFAULT_CA_TTL = Duration.ofHours(24);

  private final String trustDomain;
  private final Path socket;
  private final List<UpstreamTestCa> authorities = new CopyOnWriteArrayList<>();
  private volatile UpstreamTestCa active;
  private final AtomicLong sequence = new AtomicLong(1);
  private final Set<String> downstreamIds = ConcurrentHashMap.newKeySet();
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, new DefaultThreadFactory("spire-test-server", true),
      EpollIoHandler.newFactory());
  private final KeyPair serverKey = UpstreamTestCa.ec();
  private volatile String answeredTrustDomain;
  private volatile Answer answer = Answer.CORRECT;
  private volatile Duration delay = Duration.ZERO;
  private int tcpPort;
  private Server local;
  private Server tcp;

  private SpireServerTestServer(String trustDomain, Path socket) {
    this.trustDomain = trustDomain;
    this.answeredTrustDomain = trustDomain;
    this.socket = socket;
    this.active = new UpstreamTestCa("spire " + trustDomain, false);
    authorities.add(active);
  }

  /**
   * Starts the socket listener at {@code socket} and a TLS listener on an ephemeral loopback port (its server SVID and
   * client trust are those of the bundle at start and at each {@link #restart()}).
   */
  public static SpireServerTestServer start(String trustDomain, Path socket) throws IOException {
    SpireServerTestServer server = new SpireServerTestServer(trustDomain, socket);
    server.listen();
    return server;
  }

  private synchronized void listen() throws IOException {
    Files.createDirectories(socket.getParent());
    Files.deleteIfExists(socket);
    local = NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
        .channelType(EpollServerDomainSocketChannel.class)
        .bossEventLoopGroup(group).workerEventLoopGroup(group)
        .addService(ServerInterceptors.intercept(new SvidService(), new CallerInterceptor()))
        .addService(ServerInterceptors.intercept(new BundleService(), new CallerInterceptor()))
        .build().start();
    X509Certificate serverSvid = active.leaf(serverKey.getPublic(), "", List.of("spiffe://" + trustDomain + "/spire/server"),
        List.of(), Duration.ofDays(1));
    tcp = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", tcpPort))
        .channelType(EpollServerSocketChannel.class)
        .bossEventLoopGroup(group).workerEventLoopGroup(group)
        .sslContext(GrpcSslContexts.configure(SslContextBuilder.forServer(serverKey.getPrivate(), serverSvid))
            .clientAuth(ClientAuth.OPTIONAL)
            .trustManager(bundleRoots().toArray(X509Certificate[]::new))
            .build())
        .addService(ServerInterceptors.intercept(new SvidService(), new CallerInterceptor()))
        .addService(ServerInterceptors.intercept(new BundleService(), new CallerInterceptor()))
        .build().start();
    tcpPort = ((InetSocketAddress) tcp.getListenSockets().get(0)).getPort();
  }

  public Path socket() {
    return socket;
  }

  /** {@code 127.0.0.1:<port>} of the TLS listener (SPIRE's bind_address:bind_port). */
  public String tcpAddress() {
    return "127.0.0.1:" + tcpPort;
  }

  public String trustDomain() {
    return trustDomain;
  }

  /** The authority signing now. */
  public UpstreamTestCa activeAuthority() {
    return active;
  }

  public List<X509Certificate> bundleRoots() {
    return authorities.stream().map(UpstreamTestCa::root).toList();
  }

  /** SPIRE's "prepare": the next authority joins the bundle (so it is trusted before it signs). */
  public UpstreamTestCa prepareNextAuthority() {
    UpstreamTestCa next = new UpstreamTestCa("spire " + trustDomain, false);
    authorities.add(next);
    sequence.incrementAndGet();
    return next;
  }

  /** SPIRE's "activate": the newest authority signs from now on. */
  public void activateNextAuthority() {
    active = authorities.get(authorities.size() - 1);
  }

  /** SPIRE's prune: an authority leaves the bundle. */
  public void pruneAuthority(UpstreamTestCa authority) {
    if (authority == active) {
      throw new IllegalArgumentException("the active authority cannot be pruned");
    }
    authorities.remove(authority);
    sequence.incrementAndGet();
  }

  /** Registers {@code spiffeId} as a downstream entry and writes its X509-SVID as spiffe-helper would. */
  public void issueDownstreamSvid(String spiffeId, Path dir) throws IOException {
    downstreamIds.add(spiffeId);
    issueSvid(spiffeId, dir);
  }

  /** Writes {@code svid.pem}, {@code svid_key.pem}, {@code svid_bundle.pem} for {@code spiffeId} (no entry). */
  public void issueSvid(String spiffeId, Path dir) throws IOException {
    KeyPair key = UpstreamTestCa.ec();
    X509Certificate svid = active.leaf(key.getPublic(), "", List.of(spiffeId), List.of(), Duration.ofHours(1));
    Files.createDirectories(dir);
    Files.writeString(dir.resolve(SpireSettings.SVID), PemCodec.encodeCertificate(svid));
    Files.writeString(dir.resolve(SpireSettings.SVID_KEY), PemCodec.encodePrivateKey(key.getPrivate()));
    Files.writeString(dir.resolve(SpireSettings.SVID_BUNDLE), PemCodec.encodeCertificates(bundleRoots()));
  }

  public void answer(Answer mode) {
    this.answer = mode;
  }

  /** The trust domain GetBundle reports (a server configured for another trust domain). */
  public void answerTrustDomain(String name) {
    this.answeredTrustDomain = name;
  }

  public void delay(Duration d) {
    this.delay = d;
  }

  public List<Received> received() {
    return List.copyOf(received);
  }

  public List<Received> received(String method) {
    return received.stream().filter(r -> r.method().equals(method)).toList();
  }

  /** Stops both listeners and removes the socket, as a SPIRE Server that is down. */
  public synchronized void stop() {
    if (local != null) {
      local.shutdownNow();
      tcp.shutdownNow();
      try {
        local.awaitTermination(2, TimeUnit.SECONDS);
        tcp.awaitTermination(2, TimeUnit.SECONDS);
        Files.deleteIfExists(socket);
      } catch (InterruptedException | IOException e) {
        throw new IllegalStateException(e);
      }
      local = null;
      tcp = null;
    }
  }

  /** Listens again on the same socket path and port. */
  public synchronized void restart() throws IOException {
    if (local == null) {
      listen();
    }
  }

  @Override
  public void close() {
    stop();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }

  /** SPIRE's caller tagging: local on the socket; on TCP the SPIFFE ID of the verified client SVID, if any. */
  private final class CallerInterceptor implements ServerInterceptor {
    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
      SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
      String caller = remote instanceof DomainSocketAddress || remote == null ? LOCAL : "";
      SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
      if (session != null) {
        try {
          X509Certificate peer = (X509Certificate) session.getPeerCertificates()[0];
          caller = uris(peer).stream().findFirst().orElse("");
        } catch (SSLPeerUnverifiedException | java.security.cert.CertificateParsingException e) {
          caller = "";
        }
      }
      return Contexts.interceptCall(Context.current().withValue(CALLER, caller), call, headers, next);
    }
  }

  private boolean admitted(String method, boolean localAllowed, boolean downstreamAllowed, Object request,
      StreamObserver<?> out) {
    String caller = CALLER.get();
    boolean isLocal = LOCAL.equals(caller);
    received.add(new Received(method, isLocal, isLocal ? "" : caller, request));
    pause();
    boolean allowed = localAllowed && isLocal || downstreamAllowed && downstreamIds.contains(caller);
    if (!allowed) {
      out.onError(Status.PERMISSION_DENIED.withDescription("authorization denied for method " + method).asRuntimeException());
    }
    return allowed;
  }

  private void pause() {
    if (!delay.isZero()) {
      try {
        Thread.sleep(delay.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private final class SvidService extends SVIDGrpc.SVIDImplBase {
    @Override
    public void mintX509SVID(MintX509SVIDRequest request, StreamObserver<MintX509SVIDResponse> out) {
      if (!admitted("/spire.api.server.svid.v1.SVID/MintX509SVID", true, false, request, out)) {
        return;
      }
      PKCS10CertificationRequest csr = csr(request.getCsr(), out);
      if (csr == null) {
        return;
      }
      List<String> uris = csrSans(csr, GeneralName.uniformResourceIdentifier);
      if (uris.size() != 1) {
        out.onError(Status.INVALID_ARGUMENT.withDescription("CSR must have exactly one URI SAN").asRuntimeException());
        return;
      }
      String id = uris.get(0);
      if (!id.startsWith("spiffe://" + trustDomain + "/")) {
        out.onError(Status.INVALID_ARGUMENT.withDescription("CSR with SPIFFE ID \"" + id
            + "\" is invalid: must use the trust domain ID for trust domain \"" + trustDomain + "\"").asRuntimeException());
        return;
      }
      Duration ttl = request.getTtl() > 0 ? Duration.ofSeconds(request.getTtl()) : DEFAULT_SVID_TTL;
      PublicKey key = publicKey(csr);
      List<String> dns = csrSans(csr, GeneralName.dNSName);
      UpstreamTestCa ca = active;
      X509Certificate svid = switch (answer) {
        case WRONG_SAN -> ca.leaf(key, "", List.of("spiffe://" + trustDomain + "/ns/kube-system/sa/admin"), dns, ttl);
        case WRONG_KEY -> ca.leaf(UpstreamTestCa.ec().getPublic(), "", uris, dns, ttl);
        case FOREIGN_CHAIN -> UpstreamTestCa.foreignLeaf(key, uris);
        default -> ca.leaf(key, "", uris, dns, ttl);
      };
      List<ByteString> chain = new ArrayList<>();
      chain.add(answer == Answer.GARBAGE_DER ? ByteString.copyFromUtf8("not a certificate") : der(svid));
      // SPIRE's chain stops below the root: the root is in the bundle.
      for (X509Certificate c : ca.chain().subList(0, ca.chain().size() - 1)) {
        chain.add(der(c));
      }
      out.onNext(MintX509SVIDResponse.newBuilder().setSvid(X509SVID.newBuilder()
          .addAllCertChain(chain)
          .setId(SPIFFEID.newBuilder().setTrustDomain(trustDomain).setPath(id.substring(("spiffe://" + trustDomain).length())))
          .setExpiresAt(svid.getNotAfter().toInstant().getEpochSecond()))
          .build());
      out.onCompleted();
    }

    @Override
    public void newDownstreamX509CA(NewDownstreamX509CARequest request, StreamObserver<NewDownstreamX509CAResponse> out) {
      if (!admitted("/spire.api.server.svid.v1.SVID/NewDownstreamX509CA", false, true, request, out)) {
        return;
      }
      PKCS10CertificationRequest csr = csr(request.getCsr(), out);
      if (csr == null) {
        return;
      }
      Duration ttl = request.getPreferredTtl() > 0 ? Duration.ofSeconds(request.getPreferredTtl()) : DEFAULT_CA_TTL;
      PublicKey key = answer == Answer.WRONG_KEY ? UpstreamTestCa.ec().getPublic() : publicKey(csr);
      UpstreamTestCa ca = active;
      // SPIRE: the downstream CA's URI SAN is the trust domain's ID, whatever the CSR says; no path length limit.
      X509Certificate downstream = ca.intermediate(key, "O=SPIRE,CN=downstream", List.of("spiffe://" + trustDomain), ttl, -1);
      NewDownstreamX509CAResponse.Builder response = NewDownstreamX509CAResponse.newBuilder()
          .addCaCertChain(answer == Answer.GARBAGE_DER ? ByteString.copyFromUtf8("garbage") : der(downstream));
      for (X509Certificate c : ca.chain().subList(0, ca.chain().size() - 1)) {
        response.addCaCertChain(der(c));
      }
      bundleRoots().forEach(root -> response.addX509Authorities(der(root)));
      out.onNext(response.build());
      out.onCompleted();
    }
  }

  private final class BundleService extends BundleGrpc.BundleImplBase {
    @Override
    public void getBundle(GetBundleRequest request, StreamObserver<Bundle> out) {
      received.add(new Received("/spire.api.server.bundle.v1.Bundle/GetBundle", LOCAL.equals(CALLER.get()), "", request));
      pause();
      Bundle.Builder bundle = Bundle.newBuilder().setTrustDomain(answeredTrustDomain);
      boolean all = !request.hasOutputMask();
      if (all || request.getOutputMask().getX509Authorities()) {
        for (X509Certificate root : bundleRoots()) {
          bundle.addX509AuthoritiesBuilder().setAsn1(der(root));
        }
      }
      if (all || request.getOutputMask().getRefreshHint()) {
        bundle.setRefreshHint(300);
      }
      if (all || request.getOutputMask().getSequenceNumber()) {
        bundle.setSequenceNumber(sequence.get());
      }
      out.onNext(bundle.build());
      out.onCompleted();
    }
  }

  private static PKCS10CertificationRequest csr(ByteString der, StreamObserver<?> out) {
    try {
      PKCS10CertificationRequest csr = new PKCS10CertificationRequest(der.toByteArray());
      if (!csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(publicKey(csr)))) {
        out.onError(Status.INVALID_ARGUMENT.withDescription("invalid CSR signature").asRuntimeException());
        return null;
      }
      return csr;
    } catch (Exception e) {
      out.onError(Status.INVALID_ARGUMENT.withDescription("malformed CSR: " + e.getMessage()).asRuntimeException());
      return null;
    }
  }

  private static PublicKey publicKey(PKCS10CertificationRequest csr) {
    try {
      return new JcaPEMKeyConverter().getPublicKey(csr.getSubjectPublicKeyInfo());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<String> csrSans(PKCS10CertificationRequest csr, int type) {
    List<String> out = new ArrayList<>();
    for (var attribute : csr.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)) {
      GeneralNames names = GeneralNames.fromExtensions(
          Extensions.getInstance(attribute.getAttrValues().getObjectAt(0)), Extension.subjectAlternativeName);
      if (names != null) {
        for (GeneralName name : names.getNames()) {
          if (name.getTagNo() == type) {
            out.add(name.getName().toString());
          }
        }
      }
    }
    return out;
  }

  private static List<String> uris(X509Certificate certificate) throws java.security.cert.CertificateParsingException {
    List<String> out = new ArrayList<>();
    if (certificate.getSubjectAlternativeNames() != null) {
      for (List<?> san : certificate.getSubjectAlternativeNames()) {
        if (Integer.valueOf(GeneralName.uniformResourceIdentifier).equals(san.get(0))) {
          out.add(String.valueOf(san.get(1)));
        }
      }
    }
    return out;
  }

  private static ByteString der(X509Certificate certificate) {
    try {
      return ByteString.copyFrom(certificate.getEncoded());
    } catch (java.security.cert.CertificateEncodingException e) {
      throw new IllegalStateException(e);
    }
  }
}
