package dev.gatehouse.controlplane.grpc;

import dev.gatehouse.ca.auth.AuthenticatorChain;
import dev.gatehouse.ca.auth.CallerAuthenticator;
import dev.gatehouse.ca.auth.ClientCertificateAuthenticator;
import dev.gatehouse.ca.auth.JwtAuthenticator;
import dev.gatehouse.ca.auth.LocalTokenIssuer;
import dev.gatehouse.ca.csr.CsrValidator;
import dev.gatehouse.ca.csr.SanPolicy;
import dev.gatehouse.ca.server.CaMetrics;
import dev.gatehouse.ca.server.IstioCertificateServer;
import dev.gatehouse.ca.server.WorkloadCertificateAuthority;
import dev.gatehouse.ca.signer.CertificateSigner;
import dev.gatehouse.ca.signer.TrustBundle;
import dev.gatehouse.ca.signer.selfsigned.FileCaSecretStore;
import dev.gatehouse.ca.signer.selfsigned.SelfSignedSigner;
import dev.gatehouse.ca.spiffe.SpiffeId;
import io.grpc.ManagedChannel;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A Gatehouse CA as the application wires it, minus Spring: self-signed root in a state directory, client-certificate
 * then local-JWT authentication (or Kubernetes mode's chain), CreateCertificate on a real TLS gRPC server on 127.0.0.1 with a serving certificate
 * issued by the CA itself. Used by the compatibility tests and by {@code CaBenchmark}.
 */
public final class CaServerFixture implements AutoCloseable {
  public final SelfSignedSigner signer;
  public final LocalTokenIssuer tokens;
  public final ServingKeyManager keyManager = new ServingKeyManager();
  public final ServingCertificate servingCertificate;
  public final WorkloadCertificateAuthority authority;
  public final GrpcServers servers;
  private final List<ManagedChannel> channels = new ArrayList<>();

  public CaServerFixture(Path stateDir, Clock clock, CaMetrics metrics, List<CallerAuthenticator> extraAuthenticators,
      List<GrpcServiceRegistration> extraServices) throws Exception {
    this(stateDir, clock, metrics, true, extraAuthenticators, extraServices);
  }

  /**
   * @param localJwt whether local JWT validation (file mode's authenticator) follows the client-certificate one; without
   *     it the chain is Kubernetes mode's default (client certificate, then {@code extraAuthenticators}, e.g. TokenReview)
   */
  public CaServerFixture(Path stateDir, Clock clock, CaMetrics metrics, boolean localJwt,
      List<CallerAuthenticator> extraAuthenticators, List<GrpcServiceRegistration> extraServices) throws Exception {
    signer = new SelfSignedSigner(new FileCaSecretStore(stateDir), SelfSignedSigner.Options.defaults("cluster.local"), clock);
    signer.initialize();
    tokens = LocalTokenIssuer.loadOrCreate(stateDir.resolve("token-signing-key.pem"), LocalTokenIssuer.DEFAULT_ISSUER);
    List<CallerAuthenticator> chain = new ArrayList<>();
    chain.add(new ClientCertificateAuthenticator(signer::trustBundle, "cluster.local", clock));
    if (localJwt) {
      chain.add(new JwtAuthenticator(tokens::keySet, tokens.issuer(), List.of("istio-ca"), "cluster.local", clock, Duration.ofSeconds(30)));
    }
    chain.addAll(extraAuthenticators);
    authority = new WorkloadCertificateAuthority(new AuthenticatorChain(chain), new CsrValidator(SanPolicy.STRICT), signer,
        WorkloadCertificateAuthority.Options.istioDefaults(), metrics);
    servingCertificate = new ServingCertificate(signer, SpiffeId.of("cluster.local", "istio-system", "gatehouse"),
        List.of("gatehouse.istio-system.svc", "istiod.istio-system.svc", "localhost"), Duration.ofHours(24), clock, keyManager);
    servingCertificate.renewIfDue();
    List<GrpcServiceRegistration> registrations = new ArrayList<>();
    registrations.add(new GrpcServiceRegistration(new IstioCertificateServer(authority).bindService(), true));
    registrations.addAll(extraServices);
    servers = new GrpcServers(registrations, new GrpcServers.Endpoints("127.0.0.1", 0, "127.0.0.1", 0), keyManager,
        new TrustBundleTrustManager(signer::trustBundle, clock), (name, address) -> {});
    servers.start();
  }

  public static CaServerFixture start(Path stateDir) throws Exception {
    return new CaServerFixture(stateDir, Clock.systemUTC(), CaMetrics.NONE, List.of(), List.of());
  }

  public CertificateSigner signer() {
    return signer;
  }

  public TrustBundle published() {
    return signer.trustBundle();
  }

  /** A TLS channel as istio-agent opens it: dial istiod.istio-system.svc, trust root-cert.pem, optional client cert. */
  public ManagedChannel channel(PrivateKey clientKey, List<X509Certificate> clientChain) throws Exception {
    SslContextBuilder ssl = GrpcSslContexts.forClient().trustManager(published().roots());
    if (clientKey != null) {
      ssl.keyManager(clientKey, clientChain);
    }
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", servers.securePort())
        .overrideAuthority("istiod.istio-system.svc")
        .sslContext(ssl.build())
        .build();
    channels.add(channel);
    return channel;
  }

  public ManagedChannel plaintextChannel() {
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", servers.plaintextPort()).usePlaintext().build();
    channels.add(channel);
    return channel;
  }

  public static GrpcServiceRegistration plaintextService(ServerServiceDefinition definition) {
    return new GrpcServiceRegistration(definition, true);
  }

  @Override
  public void close() {
    channels.forEach(ManagedChannel::shutdownNow);
    servers.close();
  }
}
