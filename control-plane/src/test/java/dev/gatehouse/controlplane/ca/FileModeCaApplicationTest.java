package dev.gatehouse.controlplane.ca;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.api.istio.ca.v1.IstioCertificateRequest;
import dev.gatehouse.api.istio.ca.v1.IstioCertificateResponse;
import dev.gatehouse.api.istio.ca.v1.IstioCertificateServiceGrpc;
import dev.gatehouse.ca.TestPki;
import dev.gatehouse.ca.pem.PemCodec;
import dev.gatehouse.controlplane.config.StartupReport;
import dev.gatehouse.controlplane.grpc.GrpcServers;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;

/**
 * The application in file mode, as the demo runs it: the token CLI mints a token from the state directory, an
 * istio-agent-style client gets a certificate over TLS on the secure port, the trust bundle is published in the state
 * directory, and the CA's Istio metrics are scraped.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    args = "--config-dir=../examples",
    properties = {
      "gatehouse.grpc.secure-port=0",
      "gatehouse.grpc.plaintext-port=0",
      "gatehouse.state-dir=target/file-mode-ca-test-state"
    })
class FileModeCaApplicationTest {
  private static final Path STATE = Path.of("target/file-mode-ca-test-state");

  @Autowired GrpcServers servers;
  @Autowired StartupReport startupReport;

  @Value("${local.server.port}")
  int httpPort;

  @Test
  void cliTokenGetsACertificateThatChainsToThePublishedRoot() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(TokenCommand.run(new String[] {"token", "--namespace", "shop", "--service-account", "cart", "--state-dir", STATE.toString()},
        new PrintStream(out, true, StandardCharsets.UTF_8), System.err)).isZero();
    String token = out.toString(StandardCharsets.UTF_8).trim();

    List<X509Certificate> published = PemCodec.decodeCertificates(Files.readString(STATE.resolve("root-cert.pem")));
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", servers.securePort())
        .overrideAuthority("istiod.istio-system.svc")
        .sslContext(GrpcSslContexts.forClient().trustManager(published).build())
        .build();
    try {
      Metadata headers = new Metadata();
      headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
      IstioCertificateResponse response = IstioCertificateServiceGrpc.newBlockingStub(channel)
          .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .createCertificate(IstioCertificateRequest.newBuilder()
              .setCsr(TestPki.Csr.forKey(TestPki.ecP256()).uri("spiffe://cluster.local/ns/shop/sa/cart").pem())
              .setValidityDuration(86400).build());
      X509Certificate root = PemCodec.decodeCertificates(response.getCertChain(response.getCertChainCount() - 1)).get(0);
      assertThat(published).contains(root);
      X509Certificate leaf = PemCodec.decodeCertificates(response.getCertChain(0)).get(0);
      leaf.verify(root.getPublicKey());
    } finally {
      channel.shutdownNow();
    }

    assertThat(startupReport.line()).contains("grpc-secure 127.0.0.1:" + servers.securePort());
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    String scrape = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/actuator/prometheus")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    assertThat(scrape)
        .contains("citadel_server_csr_count_total 1.0")
        .contains("citadel_server_success_cert_issuance_count_total 1.0")
        .contains("citadel_server_authentication_failure_count_total 0.0")
        .contains("citadel_server_root_cert_expiry_timestamp ")
        .contains("citadel_server_cert_chain_expiry_timestamp ")
        .contains(linuxX86_64()
            ? "gatehouse_ca_crypto_provider{native=\"true\",provider=\"AmazonCorrettoCryptoProvider\"} 1.0"
            : "gatehouse_ca_crypto_provider{native=\"false\"");
    String health = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/actuator/health")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    com.google.gson.JsonObject workloadCa = com.google.gson.JsonParser.parseString(health).getAsJsonObject()
        .getAsJsonObject("components").getAsJsonObject("workloadCa");
    assertThat(workloadCa.get("status").getAsString()).isEqualTo("UP");
    assertThat(workloadCa.getAsJsonObject("details").get("signer").getAsString()).isEqualTo("self-signed");
    assertThat(workloadCa.getAsJsonObject("details").get("cryptoProvider").getAsString())
        .isEqualTo(linuxX86_64() ? "AmazonCorrettoCryptoProvider (native)" : "SunEC (JDK)");
  }

  /** Where the bundled native provider (ACCP, linux-x86_64) must load; elsewhere the CA falls back to the JDK. */
  private static boolean linuxX86_64() {
    return System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT).contains("linux")
        && List.of("amd64", "x86_64").contains(System.getProperty("os.arch"));
  }
}
