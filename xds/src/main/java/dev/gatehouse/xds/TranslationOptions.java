package dev.gatehouse.xds;

import dev.gatehouse.xds.authz.AuthzOptions;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Mesh-level translation options that Istio keeps in MeshConfig or pilot environment variables.
 *
 * @param plaintextInboundPorts inbound ports always left plaintext (health probes, metrics scrapes): kubelet and
 *     Prometheus connect without mesh certificates, so under STRICT these would fail. Each use is reported as a
 *     {@link TranslationNotice} so analysis can show the hole.
 * @param autoMtls Istio's {@code meshConfig.enableAutoMtls} (default true)
 * @param minimumTlsVersion inbound minimum TLS version ({@code meshMTLS.minProtocolVersion}): "TLSv1_2" or "TLSv1_3"
 * @param cipherSuites inbound TLS 1.2 cipher suites ({@code meshMTLS.cipherSuites}); Istio's list by default
 * @param authz options of the AuthorizationPolicy / RequestAuthentication translation (ext_authz providers, JWKS)
 */
public record TranslationOptions(
    Set<Integer> plaintextInboundPorts,
    boolean autoMtls,
    String minimumTlsVersion,
    List<String> cipherSuites,
    AuthzOptions authz) {

  /** Istio's default inbound cipher suites (pilot/pkg/security/model: SupportedCiphers). */
  public static final List<String> ISTIO_CIPHER_SUITES =
      List.of(
          "ECDHE-ECDSA-AES256-GCM-SHA384",
          "ECDHE-RSA-AES256-GCM-SHA384",
          "ECDHE-ECDSA-AES128-GCM-SHA256",
          "ECDHE-RSA-AES128-GCM-SHA256",
          "AES256-GCM-SHA384",
          "AES128-GCM-SHA256");

  public TranslationOptions {
    plaintextInboundPorts =
        plaintextInboundPorts == null ? Set.of() : java.util.Collections.unmodifiableSet(new TreeSet<>(plaintextInboundPorts));
    minimumTlsVersion = minimumTlsVersion == null || minimumTlsVersion.isBlank() ? "TLSv1_2" : minimumTlsVersion;
    if (!minimumTlsVersion.equals("TLSv1_2") && !minimumTlsVersion.equals("TLSv1_3")) {
      throw new IllegalArgumentException("minimumTlsVersion must be TLSv1_2 or TLSv1_3: " + minimumTlsVersion);
    }
    cipherSuites = cipherSuites == null || cipherSuites.isEmpty() ? ISTIO_CIPHER_SUITES : List.copyOf(cipherSuites);
    authz = authz == null ? AuthzOptions.defaults() : authz;
  }

  public TranslationOptions(
      Set<Integer> plaintextInboundPorts, boolean autoMtls, String minimumTlsVersion, List<String> cipherSuites) {
    this(plaintextInboundPorts, autoMtls, minimumTlsVersion, cipherSuites, AuthzOptions.defaults());
  }

  public static TranslationOptions defaults() {
    return new TranslationOptions(Set.of(), true, "TLSv1_2", ISTIO_CIPHER_SUITES, AuthzOptions.defaults());
  }

  public TranslationOptions withPlaintextInboundPorts(Set<Integer> ports) {
    return new TranslationOptions(ports, autoMtls, minimumTlsVersion, cipherSuites, authz);
  }

  public TranslationOptions withAutoMtls(boolean enabled) {
    return new TranslationOptions(plaintextInboundPorts, enabled, minimumTlsVersion, cipherSuites, authz);
  }

  public TranslationOptions withMinimumTlsVersion(String version) {
    return new TranslationOptions(plaintextInboundPorts, autoMtls, version, cipherSuites, authz);
  }

  public TranslationOptions withAuthz(AuthzOptions options) {
    return new TranslationOptions(plaintextInboundPorts, autoMtls, minimumTlsVersion, cipherSuites, options);
  }
}
