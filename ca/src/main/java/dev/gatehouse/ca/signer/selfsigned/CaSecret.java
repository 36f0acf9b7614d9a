package dev.gatehouse.ca.signer.selfsigned;

import java.util.Objects;

/**
 * The self-signed CA's stored material, in the layout of Istio's {@code istio-ca-secret} (type
 * {@code istio.io/ca-root}): {@code ca-cert.pem}, {@code ca-key.pem}, {@code root-cert.pem}. {@code version} is the
 * store's optimistic-concurrency token (a Kubernetes resourceVersion, a file generation); empty for a secret not
 * yet stored.
 */
public record CaSecret(String caCertPem, String caKeyPem, String rootCertPem, String version) {
  public static final String CA_CERT = "ca-cert.pem";
  public static final String CA_KEY = "ca-key.pem";
  public static final String ROOT_CERT = "root-cert.pem";

  public CaSecret {
    Objects.requireNonNull(caCertPem, CA_CERT);
    Objects.requireNonNull(caKeyPem, CA_KEY);
    Objects.requireNonNull(rootCertPem, ROOT_CERT);
    version = Objects.requireNonNullElse(version, "");
  }

  public CaSecret withVersion(String newVersion) {
    return new CaSecret(caCertPem, caKeyPem, rootCertPem, newVersion);
  }

  /** Same material regardless of version. */
  public boolean sameMaterial(CaSecret other) {
    return other != null && caCertPem.equals(other.caCertPem) && caKeyPem.equals(other.caKeyPem)
        && rootCertPem.equals(other.rootCertPem);
  }

  @Override
  public String toString() {
    return "CaSecret[version=" + version + "]"; // never the key
  }
}
