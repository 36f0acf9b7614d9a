package dev.gatehouse.controlplane.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.ca.TestPki;
import dev.gatehouse.ca.signer.CertificateSigner;
import dev.gatehouse.ca.signer.pluggedin.PluggedInSigner;
import dev.gatehouse.ca.signer.selfsigned.SelfSignedSigner;
import dev.gatehouse.ca.signer.upstream.UpstreamIntermediateSigner;
import dev.gatehouse.ca.signer.upstream.UpstreamLeafSigner;
import dev.gatehouse.ca.signer.upstream.UpstreamSigner;
import dev.gatehouse.controlplane.config.GatehouseProperties;
import dev.gatehouse.controlplane.config.SourceMode;
import dev.gatehouse.controlplane.config.SourceSelection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/** {@code gatehouse.ca.mode} as Spring binds it (kebab-case, Helm's camelCase) and the signer each mode selects. */
class CaModeTest {
  @TempDir Path dir;

  private static CaProperties bindCa(Map<String, String> properties) {
    return new Binder(new MapConfigurationPropertySource(properties)).bindOrCreate("gatehouse.ca", CaProperties.class);
  }

  private CertificateSigner signerFor(Map<String, String> extra) {
    Map<String, String> properties = new HashMap<>(extra);
    properties.put("gatehouse.state-dir", dir.resolve("state").toString());
    properties.put("gatehouse.ca.plugged-in.dir", dir.resolve("cacerts").toString());
    GatehouseProperties gatehouse = new Binder(new MapConfigurationPropertySource(properties))
        .bindOrCreate("gatehouse", GatehouseProperties.class);
    return new CaConfiguration().certificateSigner(gatehouse, bindCa(properties),
        new SourceSelection(SourceMode.FILES, Optional.empty()), new DefaultListableBeanFactory().getBeanProvider(
            io.fabric8.kubernetes.client.KubernetesClient.class));
  }

  private void writePluggedInMaterial() throws Exception {
    Path cacerts = Files.createDirectories(dir.resolve("cacerts"));
    TestPki.Intermediate intermediate = TestPki.intermediate(TestPki.root("cluster.local", Instant.now(), Duration.ofDays(30)),
        "corp intermediate", Instant.now(), Duration.ofDays(10));
    for (Map.Entry<String, String> file : intermediate.cacertsFiles().entrySet()) {
      Files.writeString(cacerts.resolve(file.getKey()), file.getValue());
    }
  }

  @Test
  void defaultIsAutoAndEverySpellingBinds() {
    assertThat(bindCa(Map.of()).mode()).isEqualTo(CaMode.AUTO);
    assertThat(bindCa(Map.of("gatehouse.ca.mode", "self-signed")).mode()).isEqualTo(CaMode.SELF_SIGNED);
    assertThat(bindCa(Map.of("gatehouse.ca.mode", "selfSigned")).mode()).isEqualTo(CaMode.SELF_SIGNED);
    assertThat(bindCa(Map.of("gatehouse.ca.mode", "plugged")).mode()).isEqualTo(CaMode.PLUGGED);
    assertThat(bindCa(Map.of("gatehouse.ca.mode", "vault")).mode()).isEqualTo(CaMode.VAULT);
    assertThat(bindCa(Map.of("gatehouse.ca.mode", "SPIRE")).mode()).isEqualTo(CaMode.SPIRE);
  }

  @Test
  void unknownModeStopsTheStart() {
    assertThatThrownBy(() -> bindCa(Map.of("gatehouse.ca.mode", "letsencrypt")))
        .hasRootCauseMessage("No enum constant dev.gatehouse.controlplane.ca.CaMode.letsencrypt");
  }

  @Test
  void autoPrefersPluggedInMaterialWhenPresentAndSelfSignedOtherwise() throws Exception {
    assertThat(signerFor(Map.of())).isInstanceOf(SelfSignedSigner.class);
    writePluggedInMaterial();
    assertThat(signerFor(Map.of())).isInstanceOf(PluggedInSigner.class);
  }

  @Test
  void selfSignedModeIgnoresPluggedInMaterial() throws Exception {
    writePluggedInMaterial();
    assertThat(signerFor(Map.of("gatehouse.ca.mode", "self-signed"))).isInstanceOf(SelfSignedSigner.class);
  }

  @Test
  void pluggedModeWithoutMaterialIsNotReadyInsteadOfFallingBackToSelfSigned() {
    CertificateSigner signer = signerFor(Map.of("gatehouse.ca.mode", "plugged"));
    assertThat(signer).isInstanceOf(PluggedInSigner.class);
    ((PluggedInSigner) signer).reload();
    assertThat(signer.readiness().ready()).isFalse();
    assertThat(signer.readiness().reason()).contains("cacerts");
  }

  @Test
  void vaultModeWithoutAnAddressRefusesToStartNamingTheProperty() {
    assertThatThrownBy(() -> signerFor(Map.of("gatehouse.ca.mode", "vault")))
        .hasMessageContaining("gatehouse.ca.vault.address");
  }

  @Test
  void vaultAuthSettingsThatCannotWorkRefuseToStart() {
    assertThatThrownBy(() -> signerFor(Map.of("gatehouse.ca.mode", "vault", "gatehouse.ca.vault.address",
        "https://127.0.0.1:8200", "gatehouse.ca.vault.auth.method", "approle")))
        .hasMessageContaining("gatehouse.ca.vault.auth.approle.role-id");
    assertThatThrownBy(() -> signerFor(Map.of("gatehouse.ca.mode", "vault", "gatehouse.ca.vault.address",
        "https://127.0.0.1:8200", "gatehouse.ca.vault.auth.method", "token")))
        .hasMessageContaining("gatehouse.ca.vault.auth.token-file");
    assertThatThrownBy(() -> signerFor(Map.of("gatehouse.ca.mode", "vault", "gatehouse.ca.vault.address",
        "https://127.0.0.1:8200", "gatehouse.ca.vault.auth.method", "ldap")))
        .hasMessageContaining("kubernetes, approle or token");
  }

  @Test
  void vaultModeSelectsLeafOrIntermediateIssuance() throws Exception {
    Map<String, String> vault = new HashMap<>(Map.of("gatehouse.ca.mode", "vault",
        "gatehouse.ca.vault.address", "https://127.0.0.1:8200"));
    try (UpstreamSigner leaf = (UpstreamSigner) signerFor(vault)) {
      assertThat(leaf).isInstanceOf(UpstreamLeafSigner.class);
      assertThat(leaf.name()).isEqualTo("vault-pki");
    }
    vault.put("gatehouse.ca.vault.issuance", "intermediate");
    try (UpstreamSigner intermediate = (UpstreamSigner) signerFor(vault)) {
      assertThat(intermediate).isInstanceOf(UpstreamIntermediateSigner.class);
    }
  }
}
