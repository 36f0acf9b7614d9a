package dev.gatehouse.controlplane.xds;

import dev.gatehouse.api.istio.ca.v1.IstioCertificateRequest;
import dev.gatehouse.api.istio.ca.v1.IstioCertificateResponse;
import dev.gatehouse.api.istio.ca.v1.IstioCertificateServiceGrpc;
import dev.gatehouse.ca.TestPki;
import dev.gatehouse.ca.auth.LocalTokenIssuer;
import dev.gatehouse.ca.pem.PemCodec;
import dev.gatehouse.controlplane.ca.TokenCommand;
import dev.gatehouse.controlplane.grpc.GrpcServers;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.stub.MetadataUtils;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Clients of a running Gatehouse's gRPC ports as a pod's agent is: service-account tokens minted with the file-mode
 * signing key, a workload certificate from CreateCertificate, TLS channels to the secure port on 127.0.0.1 that trust
 * the published root. Closes every channel it opened.
 */
final class SecurePortClients implements AutoCloseable {
  /** A workload certificate and its key, as istio-agent holds them. */
  record WorkloadCertificate(KeyPair key, List<X509Certificate> chain) {}

  private final GrpcServers servers;
  private final Path stateDir;
  private final List<ManagedChannel> channels = new ArrayList<>();

  SecurePortClients(GrpcServers servers, Path stateDir) {
    this.servers = servers;
    this.stateDir = stateDir;
  }

  String token(String namespace, String serviceAccount) throws Exception {
    LocalTokenIssuer issuer = LocalTokenIssuer.loadOrCreate(stateDir.resolve(TokenCommand.KEY_FILE),
        LocalTokenIssuer.DEFAULT_ISSUER);
    return issuer.mint(namespace, serviceAccount, List.of("istio-ca"), Instant.now(), Duration.ofHours(1));
  }

  List<X509Certificate> publishedRoots() throws Exception {
    return PemCodec.decodeCertificates(Files.readString(stateDir.resolve("root-cert.pem")));
  }

  /** A TLS channel to the secure port (dialled as istiod.istio-system.svc), with a client certificate if given. */
  ManagedChannel secureChannel(WorkloadCertificate client) throws Exception {
    SslContextBuilder ssl = GrpcSslContexts.forClient().trustManager(publishedRoots());
    if (client != null) {
      ssl.keyManager(client.key().getPrivate(), client.chain());
    }
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", servers.securePort())
        .overrideAuthority("istiod.istio-system.svc")
        .sslContext(ssl.build())
        .build();
    channels.add(channel);
    return channel;
  }

  ManagedChannel plaintextChannel() {
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", servers.plaintextPort()).usePlaintext().build();
    channels.add(channel);
    return channel;
  }

  static Channel withBearer(Channel channel, String token) {
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    return ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  /** A certificate for the token's identity from CreateCertificate over TLS, as istio-agent gets its first one. */
  WorkloadCertificate certificate(String namespace, String serviceAccount) throws Exception {
    KeyPair key = TestPki.ecP256();
    IstioCertificateResponse response = IstioCertificateServiceGrpc
        .newBlockingStub(withBearer(secureChannel(null), token(namespace, serviceAccount)))
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .createCertificate(IstioCertificateRequest.newBuilder()
            .setCsr(TestPki.Csr.forKey(key).uri("spiffe://cluster.local/ns/" + namespace + "/sa/" + serviceAccount).pem())
            .setValidityDuration(3600)
            .build());
    List<X509Certificate> chain = new ArrayList<>();
    for (String pem : response.getCertChainList()) {
      chain.addAll(PemCodec.decodeCertificates(pem));
    }
    return new WorkloadCertificate(key, chain);
  }

  @Override
  public void close() {
    channels.forEach(ManagedChannel::shutdownNow);
  }
}
