package dev.gatehouse.controlplane.grpc;

import dev.gatehouse.api.istio.ca.v1.IstioCertificateServiceGrpc;
import dev.gatehouse.ca.server.CallerCredentialsInterceptor;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallExecutorSupplier;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.OpenSsl;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gatehouse's two gRPC servers, as istiod has them: the secure port (15012, TLS with the {@link ServingCertificate},
 * client certificates requested but not required and verified against the trust bundle) serving every
 * {@link GrpcServiceRegistration}, and the plaintext port (15010) serving only registrations marked
 * {@code plaintextToo} — never the CA. Both put the caller's credentials into the gRPC context
 * ({@link CallerCredentialsInterceptor}). The only owner of the server sockets. Thread-safe.
 */
public final class GrpcServers implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(GrpcServers.class);
  private static final String CA_SERVICE = IstioCertificateServiceGrpc.SERVICE_NAME;

  /**
   * Where to bind; port 0 picks a free port; a plaintext port of {@link #DISABLED} opens no plaintext server
   * ({@code gatehouse.grpc.plaintext-enabled=false}).
   */
  public record Endpoints(String secureAddress, int securePort, String plaintextAddress, int plaintextPort) {
    public static final int DISABLED = -1;

    public boolean plaintextEnabled() {
      return plaintextPort != DISABLED;
    }
  }

  private final List<GrpcServiceRegistration> registrations;
  private final Endpoints endpoints;
  private final ServingKeyManager keyManager;
  private final TrustBundleTrustManager trustManager;
  private final BiConsumer<String, String> onBound;
  private Server secure;
  private Server plaintext;
  private ExecutorService caExecutor;

  /** @param onBound told {@code ("grpc-secure", "127.0.0.1:15012")} for each bound server, for the startup line */
  public GrpcServers(List<GrpcServiceRegistration> registrations, Endpoints endpoints, ServingKeyManager keyManager,
      TrustBundleTrustManager trustManager, BiConsumer<String, String> onBound) {
    this.registrations = List.copyOf(registrations);
    this.endpoints = endpoints;
    this.keyManager = keyManager;
    this.trustManager = trustManager;
    this.onBound = onBound;
  }

  public synchronized void start() {
    if (secure != null) {
      return;
    }
    try {
      // CreateCertificate is CPU-bound (one signature verify and one sign): its calls run on a pool as wide as the
      // machine, so a CSR storm (a node draining, a rollout) queues instead of spreading over gRPC's unbounded default
      // executor, where dozens of threads would fight for the cores and starve the xDS streams' callbacks.
      ExecutorService ca = newCaExecutor();
      caExecutor = ca;
      NettyServerBuilder secureBuilder = NettyServerBuilder
          .forAddress(new InetSocketAddress(endpoints.secureAddress(), endpoints.securePort()))
          .sslContext(sslContext())
          .callExecutor(new ServerCallExecutorSupplier() {
            @Override
            public <ReqT, RespT> Executor getExecutor(ServerCall<ReqT, RespT> call, Metadata metadata) {
              return CA_SERVICE.equals(call.getMethodDescriptor().getServiceName()) ? ca : null;
            }
          })
          .intercept(new CallerCredentialsInterceptor());
      registrations.forEach(r -> secureBuilder.addService(r.service()));
      secure = secureBuilder.build().start();
      onBound.accept("grpc-secure", endpoints.secureAddress() + ":" + secure.getPort());
      List<GrpcServiceRegistration> plain = registrations.stream()
          .filter(GrpcServiceRegistration::plaintextToo)
          .filter(r -> !CA_SERVICE.equals(r.service().getServiceDescriptor().getName()))
          .toList();
      if (!endpoints.plaintextEnabled()) {
        log.info("plaintext xDS port disabled (gatehouse.grpc.plaintext-enabled=false): every proxy must authenticate"
            + " on the secure port");
      } else if (!plain.isEmpty()) {
        NettyServerBuilder plainBuilder = NettyServerBuilder
            .forAddress(new InetSocketAddress(endpoints.plaintextAddress(), endpoints.plaintextPort()))
            .intercept(new CallerCredentialsInterceptor());
        plain.forEach(r -> plainBuilder.addService(r.service()));
        plaintext = plainBuilder.build().start();
        onBound.accept("grpc-plaintext", endpoints.plaintextAddress() + ":" + plaintext.getPort());
      }
      log.info("gRPC secure server on {}:{} ({}), plaintext {}", endpoints.secureAddress(), secure.getPort(),
          registrations.stream().map(r -> r.service().getServiceDescriptor().getName()).toList(),
          plaintext == null ? "off" : endpoints.plaintextAddress() + ":" + plaintext.getPort());
    } catch (IOException e) {
      close();
      throw new UncheckedIOException("cannot start gRPC servers", e);
    }
  }

  private static ExecutorService newCaExecutor() {
    int threads = Math.max(2, Runtime.getRuntime().availableProcessors());
    AtomicInteger n = new AtomicInteger();
    return Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "gatehouse-ca-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  private SslContext sslContext() throws SSLException {
    // Both providers call the key and trust managers on every handshake (netty's OpenSSL engine through its
    // non-caching key material provider), which is what makes rotation live. BoringSSL (bundled with
    // grpc-netty-shaded) is preferred because record encryption is cheaper there; the JDK provider is the fallback.
    SslProvider provider = OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
    return GrpcSslContexts.configure(SslContextBuilder.forServer(keyManager), provider)
        .trustManager(trustManager)
        .clientAuth(ClientAuth.OPTIONAL)
        .protocols("TLSv1.3", "TLSv1.2")
        .build();
  }

  public synchronized int securePort() {
    return secure == null ? -1 : secure.getPort();
  }

  public synchronized int plaintextPort() {
    return plaintext == null ? -1 : plaintext.getPort();
  }

  /**
   * Drain, first step: both servers stop taking connections and new calls (HTTP/2 GOAWAY on open connections), while
   * calls already running (xDS streams, CreateCertificate) continue. Idempotent.
   */
  public synchronized void stopAccepting() {
    for (Server server : new Server[] {plaintext, secure}) {
      if (server != null) {
        server.shutdown();
      }
    }
  }

  /** After {@link #stopAccepting()}: waits until every call has finished, at most {@code timeout}; false if some run on. */
  public boolean awaitCalls(Duration timeout) throws InterruptedException {
    Server[] servers;
    synchronized (this) {
      servers = new Server[] {plaintext, secure};
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    boolean done = true;
    for (Server server : servers) {
      if (server != null) {
        done &= server.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      }
    }
    return done;
  }

  @Override
  public synchronized void close() {
    for (Server server : new Server[] {plaintext, secure}) {
      if (server != null) {
        server.shutdown();
        try {
          if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
            server.shutdownNow();
          }
        } catch (InterruptedException e) {
          server.shutdownNow();
          Thread.currentThread().interrupt();
        }
      }
    }
    secure = null;
    plaintext = null;
    if (caExecutor != null) {
      caExecutor.shutdownNow();
      caExecutor = null;
    }
  }
}
