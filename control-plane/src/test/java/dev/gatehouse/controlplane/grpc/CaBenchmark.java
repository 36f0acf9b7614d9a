package dev.gatehouse.controlplane.grpc;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.FileAppender;
import dev.gatehouse.api.istio.ca.v1.IstioCertificateRequest;
import dev.gatehouse.api.istio.ca.v1.IstioCertificateResponse;
import dev.gatehouse.api.istio.ca.v1.IstioCertificateServiceGrpc;
import dev.gatehouse.ca.TestPki;
import dev.gatehouse.ca.auth.AuthenticationRequest;
import dev.gatehouse.ca.auth.AuthenticationResult;
import dev.gatehouse.ca.auth.JwtAuthenticator;
import dev.gatehouse.ca.auth.LocalTokenIssuer;
import dev.gatehouse.ca.auth.TokenReview;
import dev.gatehouse.ca.auth.TokenReviewAuthenticator;
import dev.gatehouse.ca.auth.TokenReviewer;
import dev.gatehouse.ca.crypto.CaCrypto;
import dev.gatehouse.ca.server.CaMetrics;
import dev.gatehouse.ca.signer.SigningRequest;
import dev.gatehouse.ca.spiffe.SpiffeId;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.IntStream;
import org.slf4j.LoggerFactory;

/**
 * Workload CA throughput, not a test (never run by surefire, never fails on a number). Three figures from one run:
 *
 * <ol>
 *   <li>the ceiling: one ECDSA P-256 signature verify + one sign (SHA256withECDSA) with the same JCA provider the CA
 *       uses, single-threaded and on every core;
 *   <li>signer only: {@code CertificateSigner.sign} on pre-validated requests, on every core;
 *   <li>end to end: CreateCertificate over real gRPC + TLS from concurrent clients (one TLS connection each), as
 *       istio-agent calls it (Bearer token, PEM CSR from a P-256 key, validity 86400). Tokens are checked by the
 *       TokenReview authenticator against an in-memory reviewer; each client's token is reviewed once and then cached,
 *       as in a cluster. Every CSR is generated before the clock starts.
 * </ol>
 *
 * <p>Run (see docs/performance.md): {@code CaBenchmark [--mode all|ceiling|signer|in-process|end-to-end] [--clients 16]
 * [--requests 6000] [--seconds 5]}. {@code --mode upstream [--upstreams vault-leaf,vault-intermediate,spire-leaf,
 * spire-intermediate]} measures the upstream signers (signer only, like the second figure) against
 * {@code VaultTestServer} and {@code SpireServerTestServer} on loopback in the same JVM (docs/ca.md).
 */
public final class CaBenchmark {
  public static void main(String[] args) throws Exception {
    int clients = intArg(args, "--clients", 16);
    int requests = intArg(args, "--requests", 6000);
    int seconds = intArg(args, "--seconds", 5);
    int rate = intArg(args, "--rate", 1000);
    int csrsPerClient = intArg(args, "--csrs-per-client", 256);
    int cores = Runtime.getRuntime().availableProcessors();
    Path auditLog = Path.of(stringArg(args, "--audit-log", Files.createTempFile("gatehouse-ca-audit", ".log").toString()));
    auditToFile(auditLog);
    CaCrypto crypto = CaCrypto.use(CaCrypto.Preference.parse(stringArg(args, "--crypto", "auto")));
    System.out.printf("CaBenchmark: java %s, %d cores, provider %s%n", System.getProperty("java.version"), cores,
        crypto.describe());

    String mode = stringArg(args, "--mode", "all");
    double ceilingBefore = 0;
    double inProcessRate = 0;
    double endToEndRate = 0;
    if (mode.equals("all") || mode.equals("ceiling")) {
      ceiling(1, seconds);
      ceilingBefore = ceiling(cores, seconds);
    }
    if (mode.equals("all") || mode.equals("signer")) {
      signerOnly(cores, seconds);
    }
    if (mode.equals("all") || mode.equals("in-process")) {
      inProcessRate = inProcess(cores, seconds);
    }
    if (mode.equals("all") || mode.equals("end-to-end") || mode.equals("open-loop")) {
      try (Mesh mesh = new Mesh(clients, csrsPerClient)) {
        if (!mode.equals("open-loop")) {
          endToEndRate = endToEnd(mesh, requests);
        }
        if (!mode.equals("end-to-end")) {
          openLoop(mesh, rate, seconds * 2);
        }
      }
    }
    if (mode.equals("upstream")) {
      // VaultTestServer is the JDK's com.sun.net.httpserver, which without TCP_NODELAY waits for delayed ACKs (about
      // 40 ms per call, measured: 39 certs/s on 2 threads without, 192 with); a real Vault (Go net/http) sets it.
      if (System.getProperty("sun.net.httpserver.nodelay") == null) {
        System.setProperty("sun.net.httpserver.nodelay", "true");
      }
      for (String upstream : stringArg(args, "--upstreams", "vault-leaf,vault-intermediate,spire-leaf,spire-intermediate")
          .split(",")) {
        upstream(upstream.trim(), intArg(args, "--threads", cores), seconds);
      }
    }
    if (mode.equals("all")) {
      // The ceiling is measured again after the CA phases and the better of the two is used: on a shared machine a
      // single ceiling sample can land in a quiet or a busy moment, and the higher ceiling is the conservative choice.
      double ceilingAfter = ceiling(cores, seconds);
      double ceiling = Math.max(ceilingBefore, ceilingAfter);
      System.out.printf("ratio to the %d-thread ceiling (best of before/after, %.0f ops/s): in process %.0f%%, end to end %.0f%%%n",
          cores, ceiling, 100 * inProcessRate / ceiling, 100 * endToEndRate / ceiling);
    }
    System.exit(0);
  }

  /**
   * The audit line stays part of every CSR, written as the running CA writes it (Spring Boot's console pattern,
   * synchronous, flushed per line), but to a file instead of the terminal: the benchmark's own lines stay readable and
   * a slow terminal does not set the pace. Everything else logs at WARN.
   */
  static void auditToFile(Path file) {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).setLevel(Level.WARN);
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern("%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %5level [%15.15thread] %-40.40logger{39} : %msg%n%throwable");
    encoder.start();
    FileAppender<ILoggingEvent> appender = new FileAppender<>();
    appender.setContext(context);
    appender.setFile(file.toString());
    appender.setAppend(false);
    appender.setImmediateFlush(true);
    appender.setEncoder(encoder);
    appender.start();
    ch.qos.logback.classic.Logger audit = context.getLogger("gatehouse.ca.audit");
    audit.setLevel(Level.INFO);
    audit.setAdditive(false);
    audit.addAppender(appender);
    System.out.println("audit lines: " + file);
  }

  /** One verify + one sign per operation: the cryptographic work a CSR costs at minimum. */
  static double ceiling(int threads, int seconds) throws Exception {
    CaCrypto crypto = CaCrypto.active();
    KeyPair jdkKey = TestPki.ecP256();
    // The keys as the provider's own objects, as the CA holds them (CSR keys parsed by it, the CA key translated once).
    PublicKey publicKey = crypto.publicKey("EC", jdkKey.getPublic().getEncoded());
    PrivateKey privateKey = crypto.signingKey(jdkKey.getPrivate());
    byte[] message = "gatehouse ceiling".getBytes(StandardCharsets.US_ASCII);
    Signature s = crypto.signature("SHA256withECDSA");
    s.initSign(privateKey);
    s.update(message);
    byte[] signature = s.sign();
    double rate = parallelRate(threads, seconds, () -> {
      // The CA's per-thread instances (CaCrypto.threadSignature), so the ceiling pays no lookup the CA does not.
      Signature verifier = crypto.threadSignature("SHA256withECDSA");
      verifier.initVerify(publicKey);
      verifier.update(message);
      if (!verifier.verify(signature)) {
        throw new IllegalStateException("verify failed");
      }
      Signature signer = crypto.threadSignature("SHA256withECDSA");
      signer.initSign(privateKey);
      signer.update(message);
      signer.sign();
    });
    System.out.printf("ceiling (1 verify + 1 sign, P-256), %d thread(s): %.0f ops/s%n", threads, rate);
    return rate;
  }

  static void signerOnly(int threads, int seconds) throws Exception {
    Path state = Files.createTempDirectory("gatehouse-bench");
    try (CaServerFixture ca = CaServerFixture.start(state)) {
      KeyPair key = TestPki.ecP256();
      SigningRequest request = SigningRequest.workload(SpiffeId.of("cluster.local", "shop", "cart"), key.getPublic(), null,
          Duration.ofHours(24));
      double rate = parallelRate(threads, seconds, () -> ca.signer().issue(request));
      System.out.printf("signer only (self-signed P-256 root, X.509-SVID build + sign), %d threads: %.0f certs/s%n", threads, rate);
    }
  }

  /**
   * An upstream signer ({@code vault-leaf}, {@code vault-intermediate}, {@code spire-leaf}, {@code spire-intermediate})
   * issuing for pre-generated workload CSRs, {@code threads} callers at once. The test server runs in this JVM on the
   * same cores: in leaf mode every certificate costs Gatehouse's verification of the answer plus the test server's
   * HTTP/JSON or gRPC handling and signature, so the figure is a floor for a real upstream on its own machine only as
   * far as that upstream is as fast as the test server; intermediate mode makes no upstream call per CSR.
   */
  static void upstream(String which, int threads, int seconds) throws Exception {
    Path work = Files.createTempDirectory("gatehouse-bench-" + which);
    List<AutoCloseable> closing = new ArrayList<>();
    try {
      dev.gatehouse.ca.signer.CertificateSigner signer;
      dev.gatehouse.ca.signer.upstream.UpstreamAuthority authority;
      if (which.startsWith("vault-")) {
        dev.gatehouse.ca.signer.vault.VaultTestServer vault = dev.gatehouse.ca.signer.vault.VaultTestServer.start("pki",
            new dev.gatehouse.ca.signer.upstream.UpstreamTestCa("vault", true), work);
        closing.add(vault::close);
        vault.role("gatehouse", new dev.gatehouse.ca.signer.vault.VaultTestServer.Role(List.of("spiffe://cluster.local/*"),
            List.of(), false, false, Duration.ofDays(30)));
        Path token = Files.writeString(work.resolve("vault-token"), vault.createToken(Duration.ofHours(1), true));
        authority = new dev.gatehouse.ca.signer.vault.VaultPkiAuthority(new dev.gatehouse.ca.signer.vault.VaultSettings(
            vault.address(), null, "pki", "gatehouse", null, vault.caBundle(), Duration.ofSeconds(2), Duration.ofSeconds(5),
            3, Duration.ofMillis(200), Duration.ofSeconds(10), new dev.gatehouse.ca.signer.vault.VaultSettings.TokenAuth(token, null),
            Duration.ofMinutes(1)), Clock.systemUTC());
      } else if (which.startsWith("spire-")) {
        dev.gatehouse.ca.signer.spire.SpireServerTestServer spire = dev.gatehouse.ca.signer.spire.SpireServerTestServer
            .start("cluster.local", work.resolve("spire-server/private/api.sock"));
        closing.add(spire::close);
        if (which.endsWith("-intermediate")) {
          Path svid = work.resolve("downstream-svid");
          spire.issueDownstreamSvid("spiffe://cluster.local/ns/istio-system/sa/gatehouse", svid);
          authority = new dev.gatehouse.ca.signer.spire.SpireServerAuthority(dev.gatehouse.ca.signer.spire.SpireSettings
              .downstream("cluster.local", spire.tcpAddress(), svid, null, Duration.ofSeconds(5)));
        } else {
          authority = new dev.gatehouse.ca.signer.spire.SpireServerAuthority(dev.gatehouse.ca.signer.spire.SpireSettings
              .local("cluster.local", spire.socket(), Duration.ofSeconds(5)));
        }
      } else {
        throw new IllegalArgumentException("--upstreams: vault-leaf, vault-intermediate, spire-leaf or spire-intermediate, not " + which);
      }
      closing.add(0, authority::close);
      if (which.endsWith("-leaf")) {
        var leaf = new dev.gatehouse.ca.signer.upstream.UpstreamLeafSigner(authority,
            new dev.gatehouse.ca.signer.upstream.UpstreamLeafSigner.Options(Duration.ofMinutes(5), Duration.ofSeconds(1)),
            Clock.systemUTC());
        leaf.maintain();
        signer = leaf;
      } else {
        var intermediate = new dev.gatehouse.ca.signer.upstream.UpstreamIntermediateSigner(authority,
            new dev.gatehouse.ca.signer.upstream.UpstreamIntermediateSigner.Options("cluster.local", Duration.ofHours(72),
                0.5, dev.gatehouse.ca.x509.CaKeys.Algorithm.EC_P256, Duration.ofMinutes(5), Duration.ofSeconds(1)),
            Clock.systemUTC());
        intermediate.maintain();
        signer = intermediate;
      }
      if (!signer.readiness().ready()) {
        throw new IllegalStateException(which + " not ready: " + signer.readiness().reason());
      }
      SpiffeId cart = SpiffeId.of("cluster.local", "shop", "cart");
      List<SigningRequest> requests = IntStream.range(0, 256).parallel().mapToObj(i -> {
        KeyPair key = TestPki.ecP256();
        return SigningRequest.workload(cart, key.getPublic(), TestPki.Csr.forKey(key).uri(cart.toString()).build(),
            Duration.ofHours(24));
      }).toList();
      AtomicInteger next = new AtomicInteger();
      dev.gatehouse.ca.signer.CertificateSigner s = signer;
      double rate = parallelRate(threads, seconds, () -> s.issue(requests.get(next.getAndIncrement() & 255)));
      System.out.printf("upstream %s (signer only, test server in this JVM), %d threads: %.0f certs/s%n", which, threads, rate);
      System.out.printf("RESULT upstream=%s threads=%d certs_per_s=%.0f%n", which, threads, rate);
    } finally {
      for (AutoCloseable c : closing) {
        try {
          c.close();
        } catch (Exception e) {
          System.out.println("closing: " + e);
        }
      }
    }
  }

  /** The whole CreateCertificate decision (authenticate, validate the CSR, sign, encode) without gRPC or TLS. */
  static double inProcess(int threads, int seconds) throws Exception {
    Path state = Files.createTempDirectory("gatehouse-bench");
    try (CaServerFixture ca = CaServerFixture.start(state)) {
      String token = ca.tokens.mint("bench", "sa-0", List.of("istio-ca"), Instant.now(), Duration.ofHours(1));
      List<String> csrs = new ArrayList<>();
      for (int i = 0; i < 256; i++) {
        csrs.add(TestPki.Csr.forKey(TestPki.ecP256()).uri("spiffe://cluster.local/ns/bench/sa/sa-0").pem());
      }
      AtomicInteger next = new AtomicInteger();
      // Local JWT validation: the token is verified once, then served from the verified-token cache.
      double rate = parallelRate(threads, seconds, () -> ca.authority.createCertificate(
          AuthenticationRequest.ofToken(token), csrs.get(next.getAndIncrement() & 255), 86400));
      System.out.printf("in process (cached JWT + CSR validation + sign, no transport), %d threads: %.0f CSR/s%n", threads, rate);
      return rate;
    }
  }

  /**
   * A CA over real gRPC + TLS with {@code clients} agents, each with its own TLS connection and its own service-account
   * token (reviewed once by the TokenReview authenticator against an in-memory API server, then cached), and a pool
   * of CSRs per agent generated before any clock starts.
   */
  static final class Mesh implements AutoCloseable {
    final CaServerFixture ca;
    final List<IstioCertificateServiceGrpc.IstioCertificateServiceStub> agents = new ArrayList<>();
    final List<List<IstioCertificateRequest>> csrs = new ArrayList<>();
    /**
     * The agents' own event loops (two threads, named {@code agent-ELG-*}), apart from the server's, and their
     * callbacks run on them (direct executor): the clients cost what a minimal gRPC client costs, and the CPU account
     * can tell the agents' share from the CA's.
     */
    private final EventLoopGroup agentLoops;
    private final List<ManagedChannel> channels = new ArrayList<>();

    Mesh(int clients, int csrsPerClient) throws Exception {
      agentLoops = Epoll.isAvailable()
          ? new EpollEventLoopGroup(2, new DefaultThreadFactory("agent-ELG", true))
          : new NioEventLoopGroup(2, new DefaultThreadFactory("agent-ELG", true));
      Path state = Files.createTempDirectory("gatehouse-bench");
      LocalTokenIssuer apiServerKeys = new LocalTokenIssuer(TestPki.ecP256(), "https://kubernetes.default.svc");
      TokenReviewer apiServer = (token, audiences) -> {
        AuthenticationResult r = new JwtAuthenticator(apiServerKeys::keySet, apiServerKeys.issuer(), audiences, "cluster.local",
            Clock.systemUTC(), Duration.ZERO).authenticate(AuthenticationRequest.ofToken(token));
        return r instanceof AuthenticationResult.Authenticated a
            ? new TokenReview(true, a.identity().spiffeId().kubernetesUserName(), List.of("system:serviceaccounts"), audiences, "")
            : TokenReview.unauthenticated("rejected");
      };
      TokenReviewAuthenticator tokenReview = new TokenReviewAuthenticator(apiServer, List.of("istio-ca"), "cluster.local",
          Clock.systemUTC(), 10_000, Duration.ofMinutes(5));
      // Kubernetes mode's chain: client certificate (agents renewing with their current certificate), then TokenReview.
      ca = new CaServerFixture(state, Clock.systemUTC(), CaMetrics.NONE, false, List.of(tokenReview), List.of());
      System.out.printf("TLS: %s on both sides (grpc-netty-shaded's bundled netty-tcnative)%n",
          io.grpc.netty.shaded.io.netty.handler.ssl.OpenSsl.isAvailable()
              ? "OpenSSL engine " + io.grpc.netty.shaded.io.netty.handler.ssl.OpenSsl.versionString()
              : "JDK (netty-tcnative did not load: " + io.grpc.netty.shaded.io.netty.handler.ssl.OpenSsl.unavailabilityCause() + ")");
      System.out.printf("generating %d CSRs (P-256, %d per agent; each is sent several times) before the clock starts...%n",
          clients * csrsPerClient, csrsPerClient);
      for (int c = 0; c < clients; c++) {
        String sa = "sa-" + c;
        csrs.add(IntStream.range(0, csrsPerClient).parallel()
            .mapToObj(i -> IstioCertificateRequest.newBuilder()
                .setCsr(TestPki.Csr.forKey(TestPki.ecP256()).uri("spiffe://cluster.local/ns/bench/sa/" + sa).pem())
                .setValidityDuration(86400).build())
            .toList());
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER),
            "Bearer " + apiServerKeys.mint("bench", sa, List.of("istio-ca"), Instant.now(), Duration.ofHours(1)));
        agents.add(IstioCertificateServiceGrpc.newStub(agentChannel())
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers)));
      }
    }

    /** A TLS channel as istio-agent opens it (dial istiod.istio-system.svc, trust the published roots), on the agents' loops. */
    private ManagedChannel agentChannel() throws Exception {
      ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", ca.servers.securePort())
          .overrideAuthority("istiod.istio-system.svc")
          .sslContext(GrpcSslContexts.forClient().trustManager(ca.published().roots()).build())
          .eventLoopGroup(agentLoops)
          .channelType(Epoll.isAvailable() ? EpollSocketChannel.class : NioSocketChannel.class)
          .directExecutor()
          .build();
      channels.add(channel);
      return channel;
    }

    IstioCertificateRequest csr(int client, long i) {
      List<IstioCertificateRequest> mine = csrs.get(client);
      return mine.get((int) (i % mine.size()));
    }

    /** Sends one CSR for {@code client}; {@code done} gets true when a certificate chain came back. */
    void send(int client, long i, java.util.function.Consumer<Boolean> done) {
      agents.get(client).createCertificate(csr(client, i), new StreamObserver<>() {
        boolean chain;

        @Override
        public void onNext(IstioCertificateResponse response) {
          chain = response.getCertChainCount() > 1;
        }

        @Override
        public void onError(Throwable t) {
          done.accept(false);
        }

        @Override
        public void onCompleted() {
          done.accept(chain);
        }
      });
    }

    @Override
    public void close() {
      channels.forEach(ManagedChannel::shutdownNow);
      ca.close();
      agentLoops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
  }

  /**
   * Closed loop: every agent has one CreateCertificate in flight and sends its next CSR when the answer arrives (as
   * istio-agent does), for {@code calls} calls in all after a warm-up of half as many. Latency is per call.
   */
  static double endToEnd(Mesh mesh, int calls) throws Exception {
    int clients = mesh.agents.size();
    // JIT warm-up: C2 compiles the gRPC/TLS/BouncyCastle paths; a running CA is warm, so the clock starts once it is.
    warmUntilCompiled("end to end", () -> closedLoop(mesh, Math.max(clients * 50, calls / 4)));
    long[] latencies = new long[calls];
    AtomicInteger failures = new AtomicInteger();
    CpuAccount cpu = new CpuAccount();
    long start = System.nanoTime();
    int completed = closedLoop(mesh, calls, latencies, failures);
    double elapsed = (System.nanoTime() - start) / 1e9;
    String cpuLine = cpu.report(completed);
    Arrays.sort(latencies, 0, completed);
    double rate = completed / elapsed;
    System.out.printf("end to end (gRPC/TLS CreateCertificate, %d clients, %d CSRs, %d failed): %.0f CSR/s, p50 %.2f ms, p99 %.2f ms%n",
        clients, completed, failures.get(), rate, percentile(latencies, completed, 0.50), percentile(latencies, completed, 0.99));
    System.out.println(cpuLine);
    return rate;
  }

  private static void closedLoop(Mesh mesh, int calls) throws Exception {
    closedLoop(mesh, calls, new long[calls], new AtomicInteger());
  }

  private static int closedLoop(Mesh mesh, int calls, long[] latencies, AtomicInteger failures) throws Exception {
    int clients = mesh.agents.size();
    AtomicInteger issued = new AtomicInteger();
    AtomicInteger completed = new AtomicInteger();
    CountDownLatch done = new CountDownLatch(clients);
    for (int c = 0; c < clients; c++) {
      int client = c;
      new Object() {
        void next() {
          int i = issued.getAndIncrement();
          if (i >= calls) {
            done.countDown();
            return;
          }
          long t0 = System.nanoTime();
          mesh.send(client, i, ok -> {
            latencies[completed.getAndIncrement()] = System.nanoTime() - t0;
            if (!ok) {
              failures.incrementAndGet();
            }
            next();
          });
        }
      }.next();
    }
    if (!done.await(10, TimeUnit.MINUTES)) {
      throw new IllegalStateException("closed loop did not finish");
    }
    return completed.get();
  }

  /**
   * Open loop: CSRs arrive at a fixed rate whatever the CA's answers (a rollout does not wait for the CA), spread
   * over the agents round robin; latency runs from each call's scheduled send time, so time a call waited to be
   * sent because the sender fell behind counts too (no coordinated omission). A warm-up at the same rate runs first.
   */
  static void openLoop(Mesh mesh, int rate, int seconds) throws Exception {
    warmUntilCompiled("open loop", () -> closedLoop(mesh, Math.max(mesh.agents.size() * 50, 5000)));
    openLoopRun(mesh, rate, Math.max(3, seconds / 2), false);
    openLoopRun(mesh, rate, seconds, true);
  }

  private static void openLoopRun(Mesh mesh, int rate, int seconds, boolean print) throws Exception {
    int clients = mesh.agents.size();
    int calls = rate * seconds;
    long interval = 1_000_000_000L / rate;
    long[] latencies = new long[calls];
    AtomicInteger completed = new AtomicInteger();
    AtomicInteger failures = new AtomicInteger();
    CountDownLatch done = new CountDownLatch(calls);
    long lateSends = 0;
    CpuAccount cpu = new CpuAccount();
    long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(10);
    for (int i = 0; i < calls; i++) {
      long scheduled = start + i * interval;
      long now;
      while ((now = System.nanoTime()) < scheduled) {
        LockSupport.parkNanos(scheduled - now);
      }
      if (now - scheduled > TimeUnit.MILLISECONDS.toNanos(1)) {
        lateSends++;
      }
      mesh.send(i % clients, i / clients, ok -> {
        latencies[completed.getAndIncrement()] = System.nanoTime() - scheduled;
        if (!ok) {
          failures.incrementAndGet();
        }
        done.countDown();
      });
    }
    long sendEnd = System.nanoTime();
    if (!done.await(2, TimeUnit.MINUTES)) {
      throw new IllegalStateException("open loop: " + done.getCount() + " calls never completed");
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    String cpuLine = cpu.report(calls);
    if (!print) {
      return;
    }
    Arrays.sort(latencies);
    System.out.printf("open loop (gRPC/TLS CreateCertificate, %d clients, %d CSR/s offered for %d s, %d CSRs, %d failed, %d sent >1 ms late): "
            + "%.0f CSR/s offered, %.0f CSR/s completed, p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms%n",
        clients, rate, seconds, calls, failures.get(), lateSends, calls / ((sendEnd - start) / 1e9), calls / elapsed,
        percentile(latencies, calls, 0.50), percentile(latencies, calls, 0.90), percentile(latencies, calls, 0.99),
        percentile(latencies, calls, 0.999), latencies[calls - 1] / 1e6);
    System.out.println(cpuLine);
  }

  private static double percentile(long[] sorted, int n, double q) {
    return n == 0 ? Double.NaN : sorted[Math.min(n - 1, (int) (n * q))] / 1e6;
  }

  /**
   * Where the CPU of a measured window went, by thread group (ThreadMXBean), per completed CSR. The remainder of the
   * process's CPU time beyond its Java threads is the JVM's own threads: GC and the JIT compilers.
   */
  static final class CpuAccount {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final com.sun.management.OperatingSystemMXBean OS =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private final Map<Long, Long> threadStart = new HashMap<>();
    private final Map<String, Long> nativeStart = nativeThreads();
    private final long processStart = OS.getProcessCpuTime();
    private final long wallStart = System.nanoTime();

    CpuAccount() {
      for (long id : THREADS.getAllThreadIds()) {
        threadStart.put(id, Math.max(0, THREADS.getThreadCpuTime(id)));
      }
    }

    /**
     * CPU time (ns) of the JVM's own threads that ThreadMXBean does not list, by kind ("JIT": C1/C2 compiler threads,
     * "GC": G1's workers, marker and refinement threads), read from /proc/self/task on Linux (clock ticks, 10 ms); empty
     * elsewhere, and then the remainder stays one "GC+JIT+VM" figure.
     */
    private static Map<String, Long> nativeThreads() {
      Map<String, Long> byKind = new HashMap<>();
      Path tasks = Path.of("/proc/self/task");
      if (!Files.isDirectory(tasks)) {
        return byKind;
      }
      try (var list = Files.list(tasks)) {
        for (Path task : list.toList()) {
          try {
            String name = Files.readString(task.resolve("comm")).strip();
            String kind = name.matches("C\\d CompilerThre.*") ? "JIT"
                : name.startsWith("GC Thread") || name.startsWith("G1 ") ? "GC"
                : null;
            if (kind == null) {
              continue;
            }
            String stat = Files.readString(task.resolve("stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime + stime
            byKind.merge(kind + "/" + task.getFileName(), ticks * 10_000_000L, Long::sum);
          } catch (java.io.IOException | RuntimeException gone) {
            // the thread ended between the listing and the read
          }
        }
      } catch (java.io.IOException e) {
        return byKind;
      }
      return byKind;
    }

    private static String group(String thread) {
      if (thread.startsWith("gatehouse-ca-")) {
        return "CA pool";
      }
      if (thread.startsWith("grpc-default-worker-ELG") || thread.startsWith("grpc-default-boss-ELG")) {
        return "server event loops";
      }
      if (thread.startsWith("agent-ELG")) {
        return "agents";
      }
      if (thread.equals("main")) {
        return "load generator";
      }
      return "other Java threads";
    }

    String report(long csrs) {
      long wall = System.nanoTime() - wallStart;
      Map<String, Long> byGroup = new LinkedHashMap<>();
      for (String g : List.of("CA pool", "server event loops", "agents", "load generator", "other Java threads")) {
        byGroup.put(g, 0L);
      }
      long java = 0;
      for (ThreadInfo info : THREADS.getThreadInfo(THREADS.getAllThreadIds())) {
        if (info == null) {
          continue;
        }
        long cpu = THREADS.getThreadCpuTime(info.getThreadId());
        if (cpu < 0) {
          continue;
        }
        long used = cpu - threadStart.getOrDefault(info.getThreadId(), 0L);
        byGroup.merge(group(info.getThreadName()), used, Long::sum);
        java += used;
      }
      long process = OS.getProcessCpuTime() - processStart;
      Map<String, Long> nativeEnd = nativeThreads();
      if (nativeEnd.isEmpty()) {
        byGroup.put("GC+JIT+VM", Math.max(0, process - java));
      } else {
        long gc = 0;
        long jit = 0;
        for (Map.Entry<String, Long> e : nativeEnd.entrySet()) {
          long used = Math.max(0, e.getValue() - nativeStart.getOrDefault(e.getKey(), 0L));
          if (e.getKey().startsWith("JIT/")) {
            jit += used;
          } else {
            gc += used;
          }
        }
        byGroup.put("GC", gc);
        byGroup.put("JIT", jit);
        byGroup.put("VM and other", Math.max(0, process - java - gc - jit));
      }
      long server = byGroup.get("CA pool") + byGroup.get("server event loops");
      StringBuilder line = new StringBuilder(String.format(
          "  cpu per CSR %.0f us (%.2f cores busy; server threads %.0f us = %.2f cores):", process / 1e3 / csrs,
          (double) process / wall, server / 1e3 / csrs, (double) server / wall));
      byGroup.forEach((g, ns) -> line.append(String.format(" %s %.0f us,", g, ns / 1e3 / csrs)));
      line.setLength(line.length() - 1);
      return line.toString();
    }
  }

  interface Operation {
    void run() throws Exception;
  }

  interface Round {
    void run() throws Exception;
  }

  /**
   * Warm-up: repeats {@code round} (at least three times) until the JIT compilers spent less than 2% of a round's wall
   * time compiling, at most 90 s. A running CA is JIT-warm; a fixed warm-up either wastes time or, as measured before
   * (the closed loop's CPU account showed C2 at a third of a core in the measured window), ends while C2 is still
   * compiling the gRPC/TLS/BouncyCastle paths, so the measured figure is partly the compiler's.
   */
  static void warmUntilCompiled(String phase, Round round) throws Exception {
    java.lang.management.CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    long start = System.nanoTime();
    int rounds = 0;
    double share = 1;
    while (rounds < 3 || (share >= 0.02 && System.nanoTime() - start < TimeUnit.SECONDS.toNanos(90))) {
      long compiled = jit.getTotalCompilationTime();
      long t0 = System.nanoTime();
      round.run();
      long wallMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
      share = (double) (jit.getTotalCompilationTime() - compiled) / wallMs;
      rounds++;
    }
    if (phase != null) {
      System.out.printf("  warm-up (%s): %d rounds in %.1f s, JIT compiling %.1f%% of the last round%n", phase, rounds,
          (System.nanoTime() - start) / 1e9, 100 * share);
    }
  }

  /** Operations per second over {@code seconds} on {@code threads} threads, after a warm-up until the JIT is quiet (a running CA is warm). */
  static double parallelRate(int threads, int seconds, Operation operation) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      warmUntilCompiled(null, () -> {
        for (Future<?> f : submit(pool, threads, 1, operation)) {
          f.get();
        }
      });
      long start = System.nanoTime();
      long total = 0;
      for (Future<Long> f : submit(pool, threads, seconds, operation)) {
        total += f.get();
      }
      return total / ((System.nanoTime() - start) / 1e9);
    } finally {
      pool.shutdownNow();
      pool.awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static List<Future<Long>> submit(ExecutorService pool, int threads, int seconds, Operation operation) {
    List<Future<Long>> futures = new ArrayList<>();
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    for (int t = 0; t < threads; t++) {
      futures.add(pool.submit(() -> {
        long n = 0;
        while (System.nanoTime() < until) {
          operation.run();
          n++;
        }
        return n;
      }));
    }
    return futures;
  }

  private static String stringArg(String[] args, String name, String fallback) {
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals(name)) {
        return args[i + 1];
      }
    }
    return fallback;
  }

  private static int intArg(String[] args, String name, int fallback) {
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals(name)) {
        return Integer.parseInt(args[i + 1]);
      }
    }
    return fallback;
  }
}
