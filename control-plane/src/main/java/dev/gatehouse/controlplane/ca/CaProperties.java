package dev.gatehouse.controlplane.ca;

import dev.gatehouse.ca.crypto.CaCrypto;
import dev.gatehouse.ca.csr.SanPolicy;
import dev.gatehouse.ca.x509.CaKeys;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Workload CA settings under {@code gatehouse.ca}. Trust domain, namespace, state directory and gRPC ports are the
 * shared {@code gatehouse.*} settings.
 *
 * @param mode which signer back-end signs (auto: plugged-in when its material is present, else self-signed)
 * @param defaultWorkloadCertTtl TTL when a CSR asks for none or a negative one (Istio DEFAULT_WORKLOAD_CERT_TTL)
 * @param maxWorkloadCertTtl longer requests are rejected (Istio MAX_WORKLOAD_CERT_TTL)
 * @param sanPolicy STRICT (refuse CSRs naming anything but the caller) or REPLACE (Istio: ignore CSR SANs)
 * @param selfSigned the self-signed root
 * @param pluggedIn a corporate intermediate; preferred over the self-signed root when present
 * @param tokenAudiences audiences a service-account token must be valid for (Istio TOKEN_AUDIENCES)
 * @param tokenReview Kubernetes TokenReview authentication (Kubernetes mode)
 * @param jwt local JWT validation against an issuer's JWKS, no API call
 * @param servingCertificate the certificate of the gRPC secure port
 * @param rootCertConfigMap name of the ConfigMap publishing the trust bundle (Istio PILOT_CA_CERT_CONFIGMAP)
 * @param vault Vault PKI as the upstream ({@code mode=vault})
 * @param spire a SPIRE Server as the upstream ({@code mode=spire})
 * @param overlapRoots roots of another CA kept in the trust bundle until an instant (the overlap of a mode switch)
 * @param cryptoProvider the JCA provider of the CSR verify and the certificate sign: auto (Amazon Corretto Crypto
 *     Provider where its native library loads, else the JDK's), native (that provider or fail at startup), jdk
 */
@ConfigurationProperties("gatehouse.ca")
public record CaProperties(
    @DefaultValue("auto") CaMode mode,
    @DefaultValue("24h") Duration defaultWorkloadCertTtl,
    @DefaultValue("2160h") Duration maxWorkloadCertTtl,
    @DefaultValue("STRICT") SanPolicy sanPolicy,
    @DefaultValue SelfSigned selfSigned,
    @DefaultValue PluggedIn pluggedIn,
    @DefaultValue("istio-ca") List<String> tokenAudiences,
    @DefaultValue TokenReview tokenReview,
    @DefaultValue Jwt jwt,
    @DefaultValue ServingCertificate servingCertificate,
    @DefaultValue("istio-ca-root-cert") String rootCertConfigMap,
    @DefaultValue Vault vault,
    @DefaultValue Spire spire,
    @DefaultValue OverlapRoots overlapRoots,
    @DefaultValue("auto") CaCrypto.Preference cryptoProvider) {

  /**
   * A mode switch with overlap (self-signed to Vault, Vault to SPIRE, any to any): these roots are trusted besides
   * the signer's own (in the published bundle, the root element of every CreateCertificate answer and the secure
   * port's trust) until {@code until}. After the switch they are the replaced CA's roots, so workloads still holding
   * its certificates keep verifying while they are re-issued; before it, the next CA's, so every workload trusts the
   * new root before anything presents a certificate under it. Both settings or neither.
   *
   * @param file a PEM file of CA certificates, or a directory of them (e.g. a mounted ConfigMap; every file not
   *     starting with "." is read); unreadable, empty, garbage or non-CA content refuses the start
   * @param until ISO-8601 instant (e.g. 2026-12-20T00:00:00Z) the roots leave the bundle; an instant, not a
   *     duration, so every replica ends the overlap at the same moment and a restart does not extend it
   */
  public record OverlapRoots(Path file, String until) {}

  /** Who signs workload certificates when an upstream CA is used. */
  public enum Issuance {
    /** The upstream signs every workload CSR; no CA key in Gatehouse; the CA's rate is the upstream's. */
    LEAF,
    /** The upstream signs an intermediate for Gatehouse, which signs locally and renews it at {@code renew-at}. */
    INTERMEDIATE
  }

  /**
   * @param address Vault's address, e.g. https://vault.vault.svc:8200
   * @param namespace Vault Enterprise namespace (sent as X-Vault-Namespace on every call, logins included)
   * @param pkiMount the PKI secrets engine's mount
   * @param role the PKI role workload CSRs are signed with ({@code <mount>/sign/<role>})
   * @param issuance leaf (default) or intermediate
   * @param intermediatePath what signs Gatehouse's intermediate, under the mount ({@code root/sign-intermediate} or
   *     {@code issuer/<ref>/sign-intermediate})
   * @param intermediateTtl the intermediate's lifetime asked for (Vault caps it at the issuer's)
   * @param renewAt renew the intermediate after this fraction of its life
   * @param caBundleFile PEM bundle that verifies Vault's TLS certificate (empty: the JVM's trust store)
   * @param connectTimeout per attempt
   * @param readTimeout per attempt
   * @param maxAttempts attempts per call on connection errors, timeouts, 429 and 5xx
   * @param backoff first pause between attempts (doubles, at most 2 s)
   * @param deadline no new attempt starts this long after a call began
   * @param bundleRefreshInterval how often the mount's CA chain is re-read
   * @param retryInterval how often an unreachable Vault is probed, or a failed renewal retried
   * @param auth how Gatehouse logs in
   */
  public record Vault(
      java.net.URI address,
      String namespace,
      @DefaultValue("pki") String pkiMount,
      @DefaultValue("gatehouse") String role,
      @DefaultValue("leaf") Issuance issuance,
      @DefaultValue("root/sign-intermediate") String intermediatePath,
      @DefaultValue("72h") Duration intermediateTtl,
      @DefaultValue("0.5") double renewAt,
      Path caBundleFile,
      @DefaultValue("2s") Duration connectTimeout,
      @DefaultValue("5s") Duration readTimeout,
      @DefaultValue("3") int maxAttempts,
      @DefaultValue("200ms") Duration backoff,
      @DefaultValue("10s") Duration deadline,
      @DefaultValue("5m") Duration bundleRefreshInterval,
      @DefaultValue("5s") Duration retryInterval,
      @DefaultValue VaultAuth auth) {}

  /**
   * @param method kubernetes (default), approle or token
   * @param tokenFile token method: file holding the Vault token (re-read at every login; e.g. a Vault Agent sink)
   * @param renewBefore renew the Vault token (or log in again) this long before it expires
   * @param kubernetes Kubernetes auth
   * @param approle AppRole auth
   */
  public record VaultAuth(
      @DefaultValue("kubernetes") String method,
      Path tokenFile,
      @DefaultValue("1m") Duration renewBefore,
      @DefaultValue VaultKubernetesAuth kubernetes,
      @DefaultValue VaultAppRoleAuth approle) {}

  /**
   * @param mount the auth method's mount ({@code auth/<mount>/login})
   * @param role the Vault role bound to Gatehouse's service account
   * @param tokenFile Gatehouse's own (projected) service-account token, re-read at every login
   */
  public record VaultKubernetesAuth(
      @DefaultValue("kubernetes") String mount,
      @DefaultValue("gatehouse") String role,
      @DefaultValue("/var/run/secrets/kubernetes.io/serviceaccount/token") Path tokenFile) {}

  /**
   * @param mount the auth method's mount
   * @param roleId the AppRole's role id
   * @param secretIdFile file holding the secret id (re-read at every login)
   */
  public record VaultAppRoleAuth(@DefaultValue("approle") String mount, String roleId, Path secretIdFile) {}

  /**
   * @param socket the SPIRE Server API Unix socket (SPIRE's {@code socket_path}); callers on it are "local", which
   *     is what MintX509SVID and GetBundle need
   * @param issuance leaf (default, MintX509SVID per CSR) or intermediate (NewDownstreamX509CA)
   * @param serverAddress intermediate mode: the server's TCP API address (host:port); NewDownstreamX509CA needs a
   *     caller presenting a downstream X509-SVID, which the local socket cannot carry
   * @param downstreamSvidDir intermediate mode: directory with the downstream X509-SVID ({@code svid.pem},
   *     {@code svid_key.pem}, {@code svid_bundle.pem}, as spiffe-helper writes them), re-read on every connection
   * @param serverId the SPIFFE ID the server's TLS certificate must carry (default spiffe://&lt;td&gt;/spire/server)
   * @param intermediateTtl the downstream CA's preferred TTL (capped by SPIRE)
   * @param renewAt renew the downstream CA after this fraction of its life (SPIRE's own rule: half)
   * @param timeout deadline of each RPC
   * @param bundleRefreshInterval how often GetBundle is called
   * @param retryInterval how often an unreachable server is probed, or a failed renewal retried
   */
  public record Spire(
      @DefaultValue("/tmp/spire-server/private/api.sock") Path socket,
      @DefaultValue("leaf") Issuance issuance,
      String serverAddress,
      Path downstreamSvidDir,
      String serverId,
      @DefaultValue("72h") Duration intermediateTtl,
      @DefaultValue("0.5") double renewAt,
      @DefaultValue("5s") Duration timeout,
      @DefaultValue("30s") Duration bundleRefreshInterval,
      @DefaultValue("5s") Duration retryInterval) {}

  /**
   * @param keyAlgorithm EC_P256 (default), RSA_2048 or RSA_4096
   * @param rootTtl root lifetime (Istio CITADEL_SELF_SIGNED_CA_CERT_TTL, 10 years)
   * @param rotationThreshold re-issue the root when less than this fraction of its life remains
   * @param checkInterval how often the root is checked (Istio CITADEL_SELF_SIGNED_ROOT_CERT_CHECK_INTERVAL)
   * @param secretName the Kubernetes Secret holding the root
   */
  public record SelfSigned(
      @DefaultValue("EC_P256") CaKeys.Algorithm keyAlgorithm,
      @DefaultValue("3650d") Duration rootTtl,
      @DefaultValue("0.2") double rotationThreshold,
      @DefaultValue("1h") Duration checkInterval,
      @DefaultValue("istio-ca-secret") String secretName) {}

  /**
   * @param dir mounted cacerts directory (Istio ROOT_CA_DIR)
   * @param secretName in Kubernetes mode, the Secret read through the API when the directory has no material
   * @param multipleRoots accept a changed root bundle when old and new are subsets of one another
   *     (Istio ISTIO_MULTIROOT_MESH)
   * @param checkInterval how often the files are checked for changes
   */
  public record PluggedIn(
      @DefaultValue("./etc/cacerts") Path dir,
      @DefaultValue("cacerts") String secretName,
      @DefaultValue("false") boolean multipleRoots,
      @DefaultValue("5s") Duration checkInterval) {}

  /**
   * @param enabled use TokenReview in Kubernetes mode
   * @param cacheSize bound of the successful-review cache
   * @param maxCacheTtl longest a successful review is reused, even when the token expires later (a bound token
   *     invalidated by deleting its pod stops working within this time)
   */
  public record TokenReview(
      @DefaultValue("true") boolean enabled,
      @DefaultValue("10000") int cacheSize,
      @DefaultValue("5m") Duration maxCacheTtl) {}

  /**
   * @param issuer expected {@code iss} (the cluster's service-account issuer); empty disables local validation
   *     in Kubernetes mode. In file mode Gatehouse's own local issuer is always used.
   * @param jwksFile JWKS of the issuer (e.g. saved from {@code /openid/v1/jwks})
   * @param clockSkew tolerated clock difference for exp/nbf
   */
  public record Jwt(String issuer, Path jwksFile, @DefaultValue("30s") Duration clockSkew) {}

  /**
   * @param serviceAccount the control plane's service account (its SPIFFE identity)
   * @param dnsNames DNS SANs; empty means gatehouse.&lt;ns&gt;.svc, istiod.istio-system.svc (each also with the
   *     cluster domain), and localhost
   * @param ttl lifetime; renewed at half of it
   */
  public record ServingCertificate(
      @DefaultValue("gatehouse") String serviceAccount,
      List<String> dnsNames,
      @DefaultValue("24h") Duration ttl) {
    public ServingCertificate {
      dnsNames = dnsNames == null ? List.of() : List.copyOf(dnsNames);
    }
  }
}
