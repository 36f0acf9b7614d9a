package dev.gatehouse.it.agent;

import dev.gatehouse.api.istio.ca.v1.IstioCertificateRequest;
import dev.gatehouse.api.istio.ca.v1.IstioCertificateResponse;
import dev.gatehouse.api.istio.ca.v1.IstioCertificateServiceGrpc;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.MetadataUtils;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXCertPathValidatorResult;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Test code that does for a proxyless gRPC pod what istio-agent does: for each certificate it generates a fresh
 * ECDSA P-256 key, builds a PEM CSR carrying only the pod's SPIFFE URI SAN (empty subject, SAN critical, as
 * istio's {@code pkiutil.GenCSR}), calls {@code istio.v1.auth.IstioCertificateService/CreateCertificate} over TLS
 * with {@code authorization: Bearer <service-account token>}, checks the answer the way a careful agent should
 * (leaf matches the key, carries exactly the requested SPIFFE ID, chain verifies with PKIX to the mesh root the pod
 * was given), and installs {@code key.pem}, {@code cert-chain.pem} and {@code root-cert.pem} atomically where the
 * grpc bootstrap's {@code file_watcher} provider reads them. Renews at half-life; a failed renewal keeps the
 * installed certificate and retries with back-off.
 *
 * <p>Roots ({@link RootSource}): by default the root given at start is installed for the pod's whole life. With
 * {@link RootSource#CA_ANSWER} the agent follows a CA root rotation as istio-agent does: the roots it trusts for
 * its CA connection and for checking answers are re-read at every request (the mounted {@code istio-ca-root-cert}
 * ConfigMap, which kubelet refreshes), and {@code root-cert.pem} is the last {@code cert_chain} element of each
 * answer (istio-agent's {@code secretcache}: the last element is the root bundle; istiod puts every root there).
 *
 * <p>Thread-safety: one scheduler thread renews; the public accessors are safe from any thread.
 */
public final class WorkloadAgent implements AutoCloseable {
  public static final String KEY = "key.pem";
  public static final String CERT_CHAIN = "cert-chain.pem";
  public static final String ROOT_CERT = "root-cert.pem";
  private static final Logger log = LoggerFactory.getLogger(WorkloadAgent.class);
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final Duration MAX_RETRY = Duration.ofSeconds(10);

  /** Where the roots installed as {@code root-cert.pem} come from. */
  public enum RootSource {
    /** The mesh root the pod was given at start, for its whole life. */
    PINNED,
    /**
     * The last {@code cert_chain} element of each CreateCertificate answer (one or several roots), checked against the
     * roots the agent trusts at that moment; a root rotation reaches the workload at its next renewal.
     */
    CA_ANSWER
  }

  private final WorkloadIdentity identity;
  private final CaEndpoint ca;
  private final Supplier<String> token;
  private final Duration ttl;
  private final Path certificateDir;
  private final Clock clock;
  private final RootSource rootSource;
  private final Supplier<String> trustedRootsPem;
  private final X509Certificate root;
  private String channelRootsPem;
  private ManagedChannel channel;
  private final ScheduledExecutorService renewer;
  private final List<IssuedCertificate> issued = new CopyOnWriteArrayList<>();
  private volatile String lastError = "";

  /**
   * @param token the pod's projected service-account token, read at every request (tokens rotate)
   * @param ttl the validity_duration to ask for
   */
  public WorkloadAgent(
      WorkloadIdentity identity, CaEndpoint ca, Supplier<String> token, Duration ttl, Path certificateDir, Clock clock) {
    this(identity, ca, token, ttl, certificateDir, clock, RootSource.PINNED, ca::rootCertPem);
  }

  /**
   * @param rootSource what is installed as {@code root-cert.pem}
   * @param trustedRootsPem with {@link RootSource#CA_ANSWER}: the roots trusted now (for the CA's serving certificate
   *     and for checking answers), read at every request; ignored with {@link RootSource#PINNED}
   */
  public WorkloadAgent(WorkloadIdentity identity, CaEndpoint ca, Supplier<String> token, Duration ttl,
      Path certificateDir, Clock clock, RootSource rootSource, Supplier<String> trustedRootsPem) {
    this.rootSource = Objects.requireNonNull(rootSource, "rootSource");
    this.trustedRootsPem = rootSource == RootSource.PINNED ? ca::rootCertPem
        : Objects.requireNonNull(trustedRootsPem, "trustedRootsPem");
    this.identity = Objects.requireNonNull(identity, "identity");
    this.ca = Objects.requireNonNull(ca, "ca");
    this.token = Objects.requireNonNull(token, "token");
    this.ttl = Objects.requireNonNull(ttl, "ttl");
    this.certificateDir = Objects.requireNonNull(certificateDir, "certificateDir");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.root = Pem.certificates(ca.rootCertPem()).get(0);
    this.renewer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "workload-agent-" + identity.namespace() + "-" + identity.serviceAccount());
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Obtains and installs the first certificate (synchronously: a pod's app starts only once its files exist) and
   * schedules renewal.
   *
   * @throws StatusRuntimeException when the CA refuses or cannot be reached
   * @throws GeneralSecurityException when the CA's answer does not check out
   */
  public IssuedCertificate start() throws GeneralSecurityException, IOException {
    IssuedCertificate first = obtainAndInstall();
    scheduleRenewal(first.renewAt());
    return first;
  }

  /** One CreateCertificate round trip, checked and installed. Also usable directly by tests (no scheduling). */
  public IssuedCertificate obtainAndInstall() throws GeneralSecurityException, IOException {
    KeyPair key = newKey();
    String csr = csr(key);
    Instant requestedAt = clock.instant();
    IstioCertificateResponse response = createCertificate(csr);
    IssuedCertificate cert = verify(response.getCertChainList(), key, requestedAt);
    install(key, cert);
    issued.add(cert);
    log.info(
        "{}: installed certificate serial {} valid until {} (renewal at {})",
        identity, cert.serialHex(), cert.notAfter(), cert.renewAt());
    return cert;
  }

  /** The raw call, as istio-agent's CA client makes it. Exposed for refusal tests. */
  public IstioCertificateResponse createCertificate(String csrPem) {
    Metadata headers = new Metadata();
    headers.put(AUTHORIZATION, "Bearer " + token.get());
    return IstioCertificateServiceGrpc.newBlockingStub(channel())
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .createCertificate(IstioCertificateRequest.newBuilder()
            .setCsr(csrPem)
            .setValidityDuration(ttl.toSeconds())
            .build());
  }

  /**
   * Stops the scheduled renewals and keeps the installed certificate, as an agent whose renewals stopped (a stuck pod);
   * {@link #obtainAndInstall()} still works.
   */
  public void stopRenewing() {
    renewer.shutdownNow();
  }

  /** Every certificate installed so far, oldest first. */
  public List<IssuedCertificate> issued() {
    return List.copyOf(issued);
  }

  public IssuedCertificate current() {
    List<IssuedCertificate> all = issued();
    if (all.isEmpty()) {
      throw new IllegalStateException("no certificate yet");
    }
    return all.get(all.size() - 1);
  }

  public String lastError() {
    return lastError;
  }

  public WorkloadIdentity identity() {
    return identity;
  }

  public Path certificateDir() {
    return certificateDir;
  }

  /** The channel to the CA, trusting the roots trusted now (re-dialed when they change, as after a rotation). */
  private synchronized ManagedChannel channel() {
    String roots = trustedRootsPem.get();
    if (channel == null || !roots.equals(channelRootsPem)) {
      ChannelCredentials tls;
      try {
        tls = TlsChannelCredentials.newBuilder()
            .trustManager(new ByteArrayInputStream(roots.getBytes(StandardCharsets.US_ASCII)))
            .build();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      if (channel != null) {
        channel.shutdown();
      }
      channel = Grpc.newChannelBuilderForAddress(ca.host(), ca.port(), tls).overrideAuthority(ca.authority()).build();
      channelRootsPem = roots;
    }
    return channel;
  }

  private void scheduleRenewal(Instant at) {
    long delay = Math.max(0, Duration.between(clock.instant(), at).toMillis());
    renewer.schedule(() -> renew(Duration.ofSeconds(1)), delay, TimeUnit.MILLISECONDS);
  }

  private void renew(Duration retry) {
    try {
      IssuedCertificate next = obtainAndInstall();
      lastError = "";
      scheduleRenewal(next.renewAt());
    } catch (Exception e) {
      lastError = e.toString();
      log.warn("{}: renewal failed ({}); keeping serial {}, retrying in {}", identity, e, current().serialHex(), retry);
      Duration nextRetry = retry.multipliedBy(2).compareTo(MAX_RETRY) > 0 ? MAX_RETRY : retry.multipliedBy(2);
      if (!renewer.isShutdown()) {
        renewer.schedule(() -> renew(nextRetry), retry.toMillis(), TimeUnit.MILLISECONDS);
      }
    }
  }

  static KeyPair newKey() throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    return generator.generateKeyPair();
  }

  /** PEM CSR with an empty subject and one critical URI SAN, signed with SHA256withECDSA (proof of possession). */
  public String csr(KeyPair key) throws GeneralSecurityException {
    return csr(key, identity.spiffeId());
  }

  static String csr(KeyPair key, String uriSan) throws GeneralSecurityException {
    try {
      ExtensionsGenerator extensions = new ExtensionsGenerator();
      extensions.addExtension(
          Extension.subjectAlternativeName,
          true,
          new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, uriSan)));
      PKCS10CertificationRequest request = new JcaPKCS10CertificationRequestBuilder(new X500Name(""), key.getPublic())
          .addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate())
          .build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate()));
      return Pem.encode(request);
    } catch (IOException | OperatorCreationException e) {
      throw new GeneralSecurityException("cannot build CSR", e);
    }
  }

  private IssuedCertificate verify(List<String> pemChain, KeyPair key, Instant requestedAt)
      throws GeneralSecurityException {
    if (pemChain.isEmpty()) {
      throw new GeneralSecurityException("CA returned an empty chain");
    }
    List<X509Certificate> chain = new ArrayList<>();
    List<X509Certificate> answeredRoots = List.of();
    for (int i = 0; i < pemChain.size(); i++) {
      List<X509Certificate> certs = Pem.certificates(pemChain.get(i));
      boolean rootElement = i > 0 && i == pemChain.size() - 1;
      if (rootElement && rootSource == RootSource.CA_ANSWER && certs.size() > 1) {
        // istiod's multi-root form: the last element is the whole root bundle.
        answeredRoots = certs;
        continue;
      }
      if (certs.size() != 1) {
        throw new GeneralSecurityException("chain element holds " + certs.size() + " certificates, expected 1");
      }
      chain.add(certs.get(0));
    }
    X509Certificate leaf = chain.get(0);
    if (!Arrays.equals(leaf.getPublicKey().getEncoded(), key.getPublic().getEncoded())) {
      throw new GeneralSecurityException("issued certificate is not for the key the CSR was made with");
    }
    List<String> uris = uriSans(leaf);
    if (!uris.equals(List.of(identity.spiffeId()))) {
      throw new GeneralSecurityException("issued certificate names " + uris + ", expected " + identity.spiffeId());
    }
    List<X509Certificate> path = new ArrayList<>(chain);
    if (path.size() > 1 && isSelfSigned(path.get(path.size() - 1))) {
      X509Certificate last = path.remove(path.size() - 1); // the root is the trust anchor, not part of the path
      if (answeredRoots.isEmpty()) {
        answeredRoots = List.of(last);
      }
    }
    List<X509Certificate> trusted = rootSource == RootSource.PINNED ? List.of(root) : Pem.certificates(trustedRootsPem.get());
    Set<TrustAnchor> anchors = new java.util.HashSet<>();
    trusted.forEach(r -> anchors.add(new TrustAnchor(r, null)));
    PKIXParameters params = new PKIXParameters(anchors);
    params.setRevocationEnabled(false);
    params.setDate(Date.from(clock.instant()));
    PKIXCertPathValidatorResult result = (PKIXCertPathValidatorResult) CertPathValidator.getInstance("PKIX")
        .validate(CertificateFactory.getInstance("X.509").generateCertPath(path), params);
    X509Certificate anchor = result.getTrustAnchor().getTrustedCert();
    List<X509Certificate> roots;
    if (rootSource == RootSource.PINNED) {
      roots = List.of(root);
    } else {
      if (!answeredRoots.contains(anchor)) {
        throw new GeneralSecurityException("the CA's answer names roots " + subjects(answeredRoots)
            + " without the root its chain verifies to, " + anchor.getSubjectX500Principal());
      }
      roots = answeredRoots;
    }
    List<X509Certificate> verified = new ArrayList<>(path);
    verified.add(anchor);
    return new IssuedCertificate(verified, requestedAt, roots);
  }

  private static List<String> subjects(List<X509Certificate> certs) {
    return certs.stream().map(c -> c.getSubjectX500Principal().getName()).toList();
  }

  static List<String> uriSans(X509Certificate cert) throws GeneralSecurityException {
    Collection<List<?>> sans = cert.getSubjectAlternativeNames();
    List<String> uris = new ArrayList<>();
    if (sans != null) {
      for (List<?> san : sans) {
        if (Integer.valueOf(GeneralName.uniformResourceIdentifier).equals(san.get(0))) {
          uris.add(String.valueOf(san.get(1)));
        }
      }
    }
    return uris;
  }

  private static boolean isSelfSigned(X509Certificate cert) {
    if (!cert.getSubjectX500Principal().equals(cert.getIssuerX500Principal())) {
      return false;
    }
    try {
      cert.verify(cert.getPublicKey());
      return true;
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  /**
   * Key first, then chain, then root, each via temp file + atomic rename so grpc's file watcher never reads a
   * half-written file. (It may briefly see a new key with the old chain; it re-reads both on its next refresh.)
   */
  private void install(KeyPair key, IssuedCertificate cert) throws IOException {
    StringBuilder chain = new StringBuilder();
    for (X509Certificate c : cert.chain()) {
      chain.append(Pem.encode(c));
    }
    StringBuilder roots = new StringBuilder();
    for (X509Certificate r : cert.roots()) {
      roots.append(Pem.encode(r));
    }
    writeFiles(certificateDir, Pem.encode(key.getPrivate()), chain.toString(), roots.toString());
  }

  /** Installs key, chain and root in the layout {@link GrpcXdsBootstrap} points grpc at. */
  public static void writeFiles(Path dir, String keyPem, String chainPem, String rootPem) throws IOException {
    Files.createDirectories(dir);
    writeAtomically(dir.resolve(KEY), keyPem);
    writeAtomically(dir.resolve(CERT_CHAIN), chainPem);
    writeAtomically(dir.resolve(ROOT_CERT), rootPem);
  }

  private static void writeAtomically(Path file, String content) throws IOException {
    Path tmp = Files.createTempFile(file.getParent(), "." + file.getFileName(), ".tmp");
    try {
      Files.writeString(tmp, content, StandardCharsets.US_ASCII);
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  @Override
  public void close() {
    renewer.shutdownNow();
    synchronized (this) {
      if (channel != null) {
        channel.shutdownNow();
      }
    }
  }

  /** PEM encoding and decoding with BouncyCastle, independent of Gatehouse's own codec. */
  public static final class Pem {
    private Pem() {}

    public static String encode(Object object) {
      StringWriter out = new StringWriter();
      try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
        writer.writeObject(object instanceof java.security.PrivateKey k
            ? new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(k, null)
            : object);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return out.toString();
    }

    public static List<X509Certificate> certificates(String pem) {
      try {
        List<X509Certificate> out = new ArrayList<>();
        for (java.security.cert.Certificate c :
            CertificateFactory.getInstance("X.509")
                .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))) {
          out.add((X509Certificate) c);
        }
        return out;
      } catch (GeneralSecurityException e) {
        throw new IllegalArgumentException("not PEM certificates: " + e.getMessage(), e);
      }
    }
  }
}
