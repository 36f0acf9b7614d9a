package dev.gatehouse.it.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.internal.JsonParser;
import io.grpc.xds.InternalGrpcBootstrapperImpl;
import io.grpc.xds.client.Bootstrapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bootstrap the test agent writes is one grpc-java 1.85 itself accepts, with the fields istio-agent sets. */
class GrpcXdsBootstrapTest {
  @TempDir Path dir;

  @Test
  void grpcJavaParsesTheAgentsBootstrap() throws Exception {
    Path certs = dir.resolve("certs");
    Path file = GrpcXdsBootstrap.forPod("127.0.0.1:15010", "echo-0", "shop", "127.0.0.21", "echo-sa",
        Map.of("app", "echo"), "cluster.local", certs).writeTo(dir.resolve("bootstrap.json"));

    @SuppressWarnings("unchecked")
    Map<String, ?> json = (Map<String, ?>) JsonParser.parse(Files.readString(file));
    Bootstrapper.BootstrapInfo info = InternalGrpcBootstrapperImpl.parseBootstrap(json);

    assertThat(info.servers()).hasSize(1);
    assertThat(info.servers().get(0).target()).isEqualTo("127.0.0.1:15010");
    assertThat(info.node().getId()).isEqualTo("sidecar~127.0.0.21~echo-0.shop~shop.svc.cluster.local");
    var metadata = info.node().toEnvoyProtoNode().getMetadata().getFieldsMap();
    assertThat(metadata.get("GENERATOR").getStringValue()).isEqualTo("grpc");
    assertThat(metadata.get("NAMESPACE").getStringValue()).isEqualTo("shop");
    assertThat(metadata.get("SERVICE_ACCOUNT").getStringValue()).isEqualTo("echo-sa");
    assertThat(metadata.get("INSTANCE_IPS").getStringValue()).isEqualTo("127.0.0.21");
    assertThat(metadata.get("LABELS").getStructValue().getFieldsMap().get("app").getStringValue()).isEqualTo("echo");
    assertThat(info.serverListenerResourceNameTemplate())
        .isEqualTo("grpc/server?xds.resource.listening_address=%s");
    Bootstrapper.CertificateProviderInfo provider = info.certProviders().get("default");
    assertThat(provider.pluginName()).isEqualTo("file_watcher");
    Map<String, Object> config = Map.copyOf(provider.config());
    assertThat(config)
        .containsEntry("certificate_file", certs.resolve("cert-chain.pem").toString())
        .containsEntry("private_key_file", certs.resolve("key.pem").toString())
        .containsEntry("ca_certificate_file", certs.resolve("root-cert.pem").toString())
        .containsEntry("refresh_interval", "1s");
  }

  @Test
  void aWorkloadWithoutCertificatesDeclaresNoCertificateProvider() throws Exception {
    String json = GrpcXdsBootstrap.forPod("127.0.0.1:15010", "legacy-0", "legacy", "127.0.0.22", "default",
        Map.of(), "cluster.local", null).toJson();
    @SuppressWarnings("unchecked")
    Bootstrapper.BootstrapInfo info = InternalGrpcBootstrapperImpl.parseBootstrap((Map<String, ?>) JsonParser.parse(json));
    assertThat(info.certProviders()).isNullOrEmpty();
  }
}
