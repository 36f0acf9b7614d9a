package dev.gatehouse.controlplane.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.ca.TestPki;
import dev.gatehouse.ca.server.CallerCredentials;
import dev.gatehouse.ca.signer.SigningAuthority;
import dev.gatehouse.ca.signer.SigningRequest;
import dev.gatehouse.ca.signer.TrustBundle;
import dev.gatehouse.ca.spiffe.SpiffeId;
import dev.gatehouse.ca.x509.SvidFactory;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The secure port's client-certificate check follows the trust bundle as it changes while the server runs. A root
 * added later (an upstream CA's rotation: Vault's new issuer, SPIRE's next authority) has another subject than the
 * roots the TLS context was built with; a client whose certificate chains to it must still present it and be
 * authenticated by it. (The TLS CertificateRequest must not name the start-time roots as the only acceptable
 * issuers: a TLS client sends no certificate that chains to none of them.)
 */
class SecurePortClientCertificateTest {
  private static final MethodDescriptor<String, String> WHO = MethodDescriptor.<String, String>newBuilder()
      .setType(MethodDescriptor.MethodType.UNARY)
      .setFullMethodName("test.Peer/Who")
      .setRequestMarshaller(new Utf8())
      .setResponseMarshaller(new Utf8())
      .build();

  private GrpcServers servers;
  private ManagedChannel channel;

  @AfterEach
  void stop() {
    if (channel != null) {
      channel.shutdownNow();
    }
    if (servers != null) {
      servers.close();
    }
  }

  @Test
  void aClientCertificateUnderARootAddedAfterStartIsPresentedAndChecked() throws Exception {
    Instant now = Instant.now();
    SigningAuthority first = TestPki.root("cluster.local", now, Duration.ofDays(1));
    SigningAuthority next = TestPki.root("next.example", now, Duration.ofDays(1));
    assertThat(next.chain().get(0).getSubjectX500Principal()).isNotEqualTo(first.chain().get(0).getSubjectX500Principal());
    AtomicReference<TrustBundle> bundle = new AtomicReference<>(first.trustBundle());
    ServingKeyManager keyManager = new ServingKeyManager();
    KeyPair servingKey = TestPki.ecP256();
    keyManager.update(servingKey.getPrivate(), SvidFactory.issue(first, new SigningRequest(
        SpiffeId.of("cluster.local", "istio-system", "gatehouse"), servingKey.getPublic(), null, Duration.ofHours(1),
        List.of("istiod.istio-system.svc")), now));
    ServerServiceDefinition peer = ServerServiceDefinition.builder("test.Peer")
        .addMethod(WHO, ServerCalls.asyncUnaryCall((request, response) -> {
          List<X509Certificate> chain = CallerCredentials.current().peerChain();
          response.onNext(chain.isEmpty() ? "none" : chain.get(0).getSerialNumber().toString(16));
          response.onCompleted();
        }))
        .build();
    servers = new GrpcServers(List.of(new GrpcServiceRegistration(peer, false)),
        new GrpcServers.Endpoints("127.0.0.1", 0, "127.0.0.1", 0), keyManager,
        new TrustBundleTrustManager(bundle::get, Clock.systemUTC()), (name, address) -> {});
    servers.start();

    bundle.set(TrustBundle.of(List.of(first.chain().get(0), next.chain().get(0))));
    KeyPair clientKey = TestPki.ecP256();
    List<X509Certificate> clientChain = SvidFactory.issue(next, SigningRequest.workload(
        SpiffeId.of("cluster.local", "shop", "cart"), clientKey.getPublic(), null, Duration.ofHours(1)), now);
    channel = NettyChannelBuilder.forAddress("127.0.0.1", servers.securePort())
        .overrideAuthority("istiod.istio-system.svc")
        .sslContext(GrpcSslContexts.forClient().trustManager(first.chain().get(0))
            .keyManager(clientKey.getPrivate(), clientChain).build())
        .build();

    String seen = ClientCalls.blockingUnaryCall(channel, WHO, io.grpc.CallOptions.DEFAULT
        .withDeadlineAfter(10, java.util.concurrent.TimeUnit.SECONDS), "who");

    assertThat(seen).as("the certificate the server saw").isEqualTo(clientChain.get(0).getSerialNumber().toString(16));
  }

  private static final class Utf8 implements MethodDescriptor.Marshaller<String> {
    @Override
    public InputStream stream(String value) {
      return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String parse(InputStream stream) {
      try {
        return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
      } catch (java.io.IOException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
