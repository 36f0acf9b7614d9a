package dev.gatehouse.ca.signer.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.ca.CaError;
import dev.gatehouse.ca.CaException;
import dev.gatehouse.ca.TestPki;
import dev.gatehouse.ca.pem.PemCodec;
import dev.gatehouse.ca.signer.SigningRequest;
import dev.gatehouse.ca.signer.TrustBundle;
import dev.gatehouse.ca.signer.upstream.UpstreamIntermediateSigner;
import dev.gatehouse.ca.signer.upstream.UpstreamLeafSigner;
import dev.gatehouse.ca.spiffe.SpiffeId;
import dev.gatehouse.ca.x509.CaKeys;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.vault.authentication.TokenAuthentication;
import org.springframework.vault.client.VaultEndpoint;
import org.springframework.vault.core.VaultTemplate;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * The Vault PKI signer against the real {@code hashicorp/vault} dev image, where a container engine exists: the
 * check against the real thing that {@link VaultTestServer} cannot give. The Vault side is set up exactly as
 * docs/ca.md tells an operator to (mount, root, the {@code gatehouse} role and policy), so the documented role and
 * policy are what Gatehouse's calls must get through; Gatehouse logs in with a token under that policy, and with
 * AppRole.
 *
 * <p>Without a container engine the class is skipped and says so, under {@code CI=true} too: unlike C-core or
 * Chromium, Docker is not a peer {@code .ci/run} installs. {@code -Dgatehouse.test.vault-image=hashicorp/vault:<tag>}
 * runs it against another Vault version.
 */
class RealVaultPkiSignerTest {
  static final String IMAGE = System.getProperty("gatehouse.test.vault-image", "hashicorp/vault:1.18");
  static final String SKIP = "skipped: no container engine (Testcontainers found no Docker); this test runs the real "
      + IMAGE + " dev image where one exists";
  private static final String ROOT_TOKEN = "gatehouse-test-root";
  private static final SpiffeId CART = SpiffeId.of("cluster.local", "shop", "cart");
  /** docs/ca.md, "Vault side (leaf mode)", verbatim. */
  private static final String POLICY = """
      path "pki/sign/gatehouse"               { capabilities = ["create", "update"] }
      path "pki/root/sign-intermediate"       { capabilities = ["create", "update"] }
      path "pki/issuers"                      { capabilities = ["list"] }
      path "pki/issuer/+/json"                { capabilities = ["read"] }
      path "pki/cert/ca_chain"                { capabilities = ["read"] }
      """;

  private static GenericContainer<?> container;
  private static VaultTemplate admin;
  private static URI address;
  private static X509Certificate vaultRoot;

  @TempDir Path dir;
  private final List<AutoCloseable> closing = new ArrayList<>();

  @BeforeAll
  static void startVault() throws Exception {
    if (!DockerClientFactory.instance().isDockerAvailable()) {
      // Surefire keeps each test's skip reason in its XML report; this line goes to the class's output file.
      System.out.println(SKIP);
      return;
    }
    container = new GenericContainer<>(DockerImageName.parse(IMAGE))
        .withEnv("VAULT_DEV_ROOT_TOKEN_ID", ROOT_TOKEN)
        .withEnv("VAULT_DEV_LISTEN_ADDRESS", "0.0.0.0:8200")
        // Dev mode keeps everything in memory; without IPC_LOCK the entrypoint's setcap would only warn.
        .withEnv("SKIP_SETCAP", "true")
        .withExposedPorts(8200)
        .waitingFor(Wait.forHttp("/v1/sys/health").forStatusCode(200).withStartupTimeout(Duration.ofMinutes(2)));
    container.start();
    address = URI.create("http://" + container.getHost() + ":" + container.getMappedPort(8200));
    System.out.println("running against " + IMAGE + " at " + address);
    admin = new VaultTemplate(VaultEndpoint.from(address), new TokenAuthentication(ROOT_TOKEN));

    // docs/ca.md, "Vault side (leaf mode)", as HTTP calls.
    admin.write("sys/mounts/pki", Map.of("type", "pki", "config", Map.of("max_lease_ttl", "87600h")));
    String rootPem = (String) admin.write("pki/root/generate/internal",
        Map.of("common_name", "Corp Mesh Root", "ttl", "87600h")).getData().get("certificate");
    vaultRoot = PemCodec.decodeCertificates(rootPem).get(0);
    admin.write("pki/roles/gatehouse", Map.of(
        "allowed_uri_sans", "spiffe://cluster.local/*", "allow_any_name", false, "enforce_hostnames", false,
        "allowed_domains", "istiod.istio-system.svc,gatehouse.istio-system.svc", "allow_bare_domains", true,
        "require_cn", false, "key_type", "any", "max_ttl", "720h"));
    admin.write("sys/policies/acl/gatehouse", Map.of("policy", POLICY));
  }

  /** Per test rather than in {@link #startVault()}: surefire counts a class aborted in {@code @BeforeAll} as 0 tests. */
  @BeforeEach
  void requireVault() {
    Assumptions.assumeTrue(container != null, SKIP);
  }

  @AfterAll
  static void stopVault() throws Exception {
    if (admin != null) {
      admin.destroy();
    }
    if (container != null) {
      container.stop();
    }
  }

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : closing) {
      c.close();
    }
  }

  private VaultPkiAuthority authority(VaultSettings.Auth auth) {
    VaultPkiAuthority authority = new VaultPkiAuthority(new VaultSettings(address, "", "pki", "gatehouse", null, null,
        Duration.ofSeconds(2), Duration.ofSeconds(10), 3, Duration.ofMillis(100), Duration.ofSeconds(20), auth,
        Duration.ofSeconds(30)), Clock.systemUTC());
    closing.add(authority);
    return authority;
  }

  /** A token under the documented policy only (plus Vault's default policy, which lets it look itself up). */
  private VaultSettings.Auth policyToken() throws Exception {
    String token = (String) admin.write("auth/token/create",
        Map.of("policies", List.of("gatehouse"), "ttl", "1h")).getAuth().get("client_token");
    return new VaultSettings.TokenAuth(Files.writeString(dir.resolve("vault-token"), token + "\n"), null);
  }

  private UpstreamLeafSigner leafSigner(VaultSettings.Auth auth) {
    UpstreamLeafSigner signer = new UpstreamLeafSigner(authority(auth),
        new UpstreamLeafSigner.Options(Duration.ofMinutes(1), Duration.ofSeconds(1)), Clock.systemUTC());
    signer.maintain();
    return signer;
  }

  private static SigningRequest request(SpiffeId id, KeyPair key) {
    return SigningRequest.workload(id, key.getPublic(), TestPki.Csr.forKey(key).uri(id.toString()).build(),
        Duration.ofHours(1));
  }

  private static List<String> uriSans(X509Certificate certificate) throws Exception {
    return certificate.getSubjectAlternativeNames().stream()
        .filter(san -> (Integer) san.get(0) == 6).map(san -> (String) san.get(1)).toList();
  }

  @Test
  void leafModeGetsTheWorkloadsCsrSignedByVaultWithExactlyItsSpiffeId() throws Exception {
    UpstreamLeafSigner signer = leafSigner(policyToken());
    assertThat(signer.readiness().ready()).as(signer.readiness().reason()).isTrue();
    assertThat(signer.trustBundle().roots()).as("the mount's issuers, read under the documented policy")
        .containsExactly(vaultRoot);

    KeyPair key = TestPki.ecP256();
    List<X509Certificate> chain = signer.sign(request(CART, key));

    X509Certificate leaf = chain.get(0);
    assertThat(leaf.getPublicKey()).isEqualTo(key.getPublic());
    assertThat(leaf.getSubjectAlternativeNames()).hasSize(1);
    assertThat(uriSans(leaf)).containsExactly(CART.toString());
    assertThat(leaf.getIssuerX500Principal()).isEqualTo(vaultRoot.getSubjectX500Principal());
    assertThat(chain).endsWith(vaultRoot);
    TrustBundle.of(List.of(vaultRoot)).verify(chain, Instant.now());
    assertThat(Duration.between(leaf.getNotBefore().toInstant(), leaf.getNotAfter().toInstant()))
        .isBetween(Duration.ofMinutes(59), Duration.ofMinutes(61));
  }

  @Test
  void vaultsRoleRefusesASpiffeIdOutsideTheTrustDomain() throws Exception {
    UpstreamLeafSigner signer = leafSigner(policyToken());
    SpiffeId foreign = SpiffeId.of("other.domain", "shop", "cart");

    assertThatThrownBy(() -> signer.sign(request(foreign, TestPki.ecP256())))
        .isInstanceOfSatisfying(CaException.class, e -> assertThat(e.error()).isEqualTo(CaError.INTERNAL))
        .hasMessageContaining("POST /v1/pki/sign/gatehouse (role gatehouse)")
        .hasMessageContaining("400");
    assertThat(signer.health().failures("refused")).isEqualTo(1);
  }

  @Test
  void intermediateModeGetsItsCaSignedByVaultsRootAndSignsLeavesLocally() throws Exception {
    UpstreamIntermediateSigner signer = new UpstreamIntermediateSigner(authority(policyToken()),
        new UpstreamIntermediateSigner.Options("cluster.local", Duration.ofHours(1), 0.5, CaKeys.Algorithm.EC_P256,
            Duration.ofMinutes(5), Duration.ofSeconds(5)), Clock.systemUTC());
    assertThat(signer.renew()).as(signer.readiness().reason()).isTrue();

    X509Certificate intermediate = signer.signingChain().get(0);
    assertThat(intermediate.getIssuerX500Principal()).isEqualTo(vaultRoot.getSubjectX500Principal());
    assertThat(intermediate.getBasicConstraints()).as("max_path_length=0").isEqualTo(0);
    assertThat(uriSans(intermediate)).containsExactly("spiffe://cluster.local");
    assertThat(signer.trustBundle().roots()).containsExactly(vaultRoot);

    KeyPair key = TestPki.ecP256();
    List<X509Certificate> chain = signer.sign(request(CART, key));
    assertThat(chain.get(0).getPublicKey()).isEqualTo(key.getPublic());
    assertThat(uriSans(chain.get(0))).containsExactly(CART.toString());
    assertThat(chain.get(1)).isEqualTo(intermediate);
    TrustBundle.of(List.of(vaultRoot)).verify(chain, Instant.now());
  }

  @Test
  void appRoleLogsInUnderTheDocumentedPolicyAndSigns() throws Exception {
    admin.write("sys/auth/approle", Map.of("type", "approle"));
    admin.write("auth/approle/role/gatehouse", Map.of("token_policies", List.of("gatehouse"), "token_ttl", "1h"));
    String roleId = (String) admin.read("auth/approle/role/gatehouse/role-id").getData().get("role_id");
    String secretId = (String) admin.write("auth/approle/role/gatehouse/secret-id", Map.of()).getData().get("secret_id");
    Path secretFile = Files.writeString(dir.resolve("secret-id"), secretId + "\n");

    UpstreamLeafSigner signer = leafSigner(new VaultSettings.AppRoleAuth("approle", roleId, secretFile));
    assertThat(signer.readiness().ready()).as(signer.readiness().reason()).isTrue();
    List<X509Certificate> chain = signer.sign(request(CART, TestPki.ecP256()));
    assertThat(uriSans(chain.get(0))).containsExactly(CART.toString());
    TrustBundle.of(List.of(vaultRoot)).verify(chain, Instant.now());

    Files.writeString(secretFile, "not-the-secret-id\n");
    UpstreamLeafSigner refused = leafSigner(new VaultSettings.AppRoleAuth("approle", roleId, secretFile));
    assertThat(refused.readiness().ready()).isFalse();
    assertThat(refused.readiness().reason()).contains("Vault login failed (approle auth at auth/approle");
  }
}
