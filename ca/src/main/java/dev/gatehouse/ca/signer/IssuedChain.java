package dev.gatehouse.ca.signer;

import dev.gatehouse.ca.pem.PemCodec;
import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A freshly signed leaf in its encoded form, with what the audit line needs (serial, NotAfter) and the chain above it
 * (certificates and their PEM, computed once per signing authority). The CA answers a CSR from this without parsing
 * the certificate it has just built. Immutable; the DER array is never handed out to be changed.
 */
public final class IssuedChain {
  private final byte[] leafDer;
  private final BigInteger serial;
  private final Instant notAfter;
  private final List<X509Certificate> issuers;
  private final List<String> issuersPem;

  /**
   * @param issuers the signing certificate first, the root last
   * @param issuersPem the same certificates as PEM blocks, in the same order
   */
  public IssuedChain(byte[] leafDer, BigInteger serial, Instant notAfter, List<X509Certificate> issuers, List<String> issuersPem) {
    this.leafDer = Objects.requireNonNull(leafDer, "leafDer").clone();
    this.serial = Objects.requireNonNull(serial, "serial");
    this.notAfter = Objects.requireNonNull(notAfter, "notAfter");
    this.issuers = List.copyOf(issuers);
    this.issuersPem = List.copyOf(issuersPem);
    if (this.issuers.size() != this.issuersPem.size()) {
      throw new IllegalArgumentException("issuer certificates and their PEM differ in number");
    }
  }

  /** From a parsed chain, leaf first (the form {@link CertificateSigner#sign} returns). */
  public static IssuedChain of(List<X509Certificate> chain) {
    if (chain.isEmpty()) {
      throw new IllegalArgumentException("empty certificate chain");
    }
    X509Certificate leaf = chain.get(0);
    List<X509Certificate> issuers = chain.subList(1, chain.size());
    try {
      return new IssuedChain(leaf.getEncoded(), leaf.getSerialNumber(), leaf.getNotAfter().toInstant(), issuers,
          issuers.stream().map(PemCodec::encodeCertificate).toList());
    } catch (CertificateException e) {
      throw new IllegalStateException("certificate cannot be encoded", e);
    }
  }

  public BigInteger serial() {
    return serial;
  }

  public Instant notAfter() {
    return notAfter;
  }

  /**
   * The same chain with its last element (the root) replaced by {@code rootsPem}, which may hold several PEM blocks:
   * istiod's multi-root form, where the last {@code cert_chain} element is the whole root bundle (istio-agent takes
   * the last element as the roots it trusts). A chain without issuers is returned as it is.
   */
  public IssuedChain withRootsPem(String rootsPem) {
    if (issuersPem.isEmpty()) {
      return this;
    }
    List<String> pem = new ArrayList<>(issuersPem);
    pem.set(pem.size() - 1, rootsPem);
    return new IssuedChain(leafDer, serial, notAfter, issuers, pem);
  }

  /** PEM, leaf first and root last, one block per element, each ending in a newline (istio-agent's {@code cert_chain}). */
  public List<String> pem() {
    List<String> pem = new ArrayList<>(1 + issuersPem.size());
    pem.add(PemCodec.encode("CERTIFICATE", leafDer));
    pem.addAll(issuersPem);
    return pem;
  }

  /** The chain as certificates, leaf first; parses the leaf. */
  public List<X509Certificate> certificates() {
    List<X509Certificate> chain = new ArrayList<>(1 + issuers.size());
    chain.add(leaf());
    chain.addAll(issuers);
    return List.copyOf(chain);
  }

  private X509Certificate leaf() {
    try {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(leafDer));
    } catch (CertificateException e) {
      throw new IllegalStateException("issued certificate does not parse", e);
    }
  }
}
