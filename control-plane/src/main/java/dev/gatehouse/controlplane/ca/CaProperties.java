package dev.gatehouse.controlplane.ca;

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
    @DefaultValue("istio-ca-root-cert") String rootCertConfigMap) {

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
