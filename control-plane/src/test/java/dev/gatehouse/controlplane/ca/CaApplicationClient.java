package dev.gatehouse.controlplane.ca;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.gatehouse.api.istio.ca.v1.IstioCertificateRequest;
import dev.gatehouse.api.istio.ca.v1.IstioCertificateResponse;
import dev.gatehouse.api.istio.ca.v1.IstioCertificateServiceGrpc;
import dev.gatehouse.ca.TestPki;
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
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What the CA-mode application tests ask a running Gatehouse: a CreateCertificate for shop/cart with a locally minted
 * token, the workloadCa health component, the Prometheus scrape.
 */
final class CaApplicationClient {
  private final Path state;
  private final int securePort;
  private final int httpPort;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  CaApplicationClient(Path state, int securePort, int httpPort) {
    this.state = state;
    this.securePort = securePort;
    this.httpPort = httpPort;
  }

  IstioCertificateResponse createCertificate(List<X509Certificate> roots, Duration deadline) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(TokenCommand.run(new String[] {"token", "--namespace", "shop", "--service-account", "cart", "--state-dir",
        state.toString()}, new PrintStream(out, true, StandardCharsets.UTF_8), System.err)).isZero();
    String token = out.toString(StandardCharsets.UTF_8).trim();
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", securePort)
        .overrideAuthority("istiod.istio-system.svc")
        .sslContext(GrpcSslContexts.forClient().trustManager(roots).build())
        .build();
    try {
      Metadata headers = new Metadata();
      headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
      return IstioCertificateServiceGrpc.newBlockingStub(channel)
          .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
          .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
          .createCertificate(IstioCertificateRequest.newBuilder()
              .setCsr(TestPki.Csr.forKey(TestPki.ecP256()).uri("spiffe://cluster.local/ns/shop/sa/cart").pem())
              .setValidityDuration(3600).build());
    } finally {
      channel.shutdownNow();
    }
  }

  JsonObject workloadCa() throws Exception {
    return JsonParser.parseString(get("/actuator/health").body()).getAsJsonObject()
        .getAsJsonObject("components").getAsJsonObject("workloadCa");
  }

  String scrape() throws Exception {
    return get("/actuator/prometheus").body();
  }

  HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  interface Check {
    boolean holds() throws Exception;
  }

  static void awaitCondition(Check check) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!check.holds()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within 10 s");
      }
      Thread.sleep(100);
    }
  }
}
