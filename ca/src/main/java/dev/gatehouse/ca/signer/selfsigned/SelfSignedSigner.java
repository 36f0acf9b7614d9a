package dev.gatehouse.ca.signer.selfsigned;

import dev.gatehouse.ca.CaError;
import dev.gatehouse.ca.CaException;
import dev.gatehouse.ca.leader.SingletonWork;
import dev.gatehouse.ca.pem.PemCodec;
import dev.gatehouse.ca.signer.CertificateSigner;
import dev.gatehouse.ca.signer.IssuedChain;
import dev.gatehouse.ca.signer.SignerReadiness;
import dev.gatehouse.ca.signer.SigningAuthority;
import dev.gatehouse.ca.signer.SigningRequest;
import dev.gatehouse.ca.signer.TrustBundle;
import dev.gatehouse.ca.signer.TrustBundleListeners;
import dev.gatehouse.ca.x509.CaKeys;
import dev.gatehouse.ca.x509.RootCertificateFactory;
import dev.gatehouse.ca.x509.SvidFactory;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Istio's self-signed CA (pki/ca/ca.go, selfsignedcarootcertrotator.go). Every replica signs with the root and key in
 * the {@link CaSecretStore}; {@link #maintain(boolean)} adopts what another replica stored and, only on the replica
 * holding the leader lease ({@link SingletonWork#rootStep}), creates the first root or, when less than the rotation
 * threshold (20%) of its life remains, re-issues it with the same key; the previous root stays in the trust bundle
 * until it expires, so leaves from either root keep verifying everywhere. Creation goes through
 * {@link CaSecretStore#createIfAbsent} and rotation through a compare-and-swap, so even two replicas that both
 * believe they lead (a lease handover) end with one root.
 *
 * <p>Thread-safe: signing reads an immutable {@link SigningAuthority} from a volatile field; {@link #initialize} and
 * {@link #maintain} are synchronized and swap it atomically.
 */
public final class SelfSignedSigner implements CertificateSigner {
  private static final Logger log = LoggerFactory.getLogger(SelfSignedSigner.class);

  /**
   * @param rotationThreshold rotate when less than this fraction of the root's lifetime remains (Istio: 0.2)
   */
  public record Options(String trustDomain, CaKeys.Algorithm keyAlgorithm, Duration rootTtl, double rotationThreshold) {
    public Options {
      Objects.requireNonNull(trustDomain, "trustDomain");
      Objects.requireNonNull(keyAlgorithm, "keyAlgorithm");
      Objects.requireNonNull(rootTtl, "rootTtl");
    }

    public static Options defaults(String trustDomain) {
      return new Options(trustDomain, CaKeys.Algorithm.EC_P256, Duration.ofDays(3650), 0.2);
    }
  }

  /** What a maintenance pass did. */
  public enum Maintenance {
    UNCHANGED,
    ADOPTED_FROM_STORE,
    /** This replica (the leader) created the first root. */
    CREATED,
    ROTATED,
    /** No root stored yet and this replica is not the leader: not ready until the leader creates one. */
    WAITING_FOR_LEADER
  }

  private final CaSecretStore store;
  private final Options options;
  private final Clock clock;
  private final TrustBundleListeners listeners = new TrustBundleListeners();
  private volatile State state;
  private volatile String notReadyReason = "not initialized";

  private record State(CaSecret secret, SigningAuthority authority) {}

  public SelfSignedSigner(CaSecretStore store, Options options, Clock clock) {
    this.store = Objects.requireNonNull(store, "store");
    this.options = Objects.requireNonNull(options, "options");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * Loads the stored root or creates one, as the only replica or the leader would. Throws
   * {@link CaSecretStore.StoreException} if the store cannot be reached; throws {@link IllegalStateException} if the
   * stored secret is unusable (never overwritten: an operator must look at it).
   */
  public synchronized void initialize() {
    Optional<CaSecret> stored = store.load();
    CaSecret secret = stored.isPresent() ? stored.get() : store.createIfAbsent(generate());
    if (stored.isEmpty()) {
      log.info("self-signed CA root initialized in {} (created here or adopted from a racing replica)", store.describe());
    }
    install(secret);
  }

  /**
   * Adopts what the store holds (a root created or rotated by another replica), then does the singleton work
   * {@link SingletonWork#rootStep} asks for: with {@code holdsLease}, create the first root or rotate a root that is
   * due; without it, never write. Throws like {@link #initialize()}.
   */
  public synchronized Maintenance maintain(boolean holdsLease) {
    Maintenance result = Maintenance.UNCHANGED;
    Optional<CaSecret> stored = store.load();
    State current = state;
    if (stored.isEmpty() && current != null) {
      throw new IllegalStateException(store.describe() + " disappeared; keeping the current root in memory");
    }
    if (stored.isPresent()) {
      if (current == null || !stored.get().sameMaterial(current.secret())) {
        install(stored.get());
        result = Maintenance.ADOPTED_FROM_STORE;
      } else if (!stored.get().version().equals(current.secret().version())) {
        state = new State(stored.get(), current.authority());
      }
    }
    State now = state;
    SingletonWork.RootStep step = SingletonWork.rootStep(holdsLease,
        now == null ? Optional.empty() : Optional.of(now.authority().root()), clock.instant(), options.rotationThreshold());
    switch (step) {
      case CREATE -> {
        CaSecret created = store.createIfAbsent(generate());
        install(created);
        log.info("self-signed CA root created in {} by the leader (or adopted from a racing writer)", store.describe());
        return Maintenance.CREATED;
      }
      case ROTATE -> {
        return rotate() ? Maintenance.ROTATED : Maintenance.ADOPTED_FROM_STORE;
      }
      case WAIT_FOR_LEADER -> {
        notReadyReason = "no root in " + store.describe() + " yet; the replica holding the leader lease creates it";
        return Maintenance.WAITING_FOR_LEADER;
      }
      case NONE -> {
        return result;
      }
      default -> throw new IllegalStateException(step.name());
    }
  }

  /** Whether less than the threshold of {@code root}'s lifetime remains at {@code now}. */
  public boolean rotationDue(X509Certificate root, Instant now) {
    return SingletonWork.rotationDue(root.getNotBefore().toInstant(), root.getNotAfter().toInstant(), now,
        options.rotationThreshold());
  }

  /** Calls {@code onChange} when the stored secret may have changed (see {@link CaSecretStore#watch}). */
  public AutoCloseable watchStore(Runnable onChange) {
    return store.watch(onChange);
  }

  private boolean rotate() {
    State current = state;
    Instant now = clock.instant();
    try {
      X509Certificate oldRoot = current.authority().root();
      X509Certificate newRoot = RootCertificateFactory.reissue(oldRoot, current.authority().key(), now, options.rootTtl());
      List<X509Certificate> trusted = new ArrayList<>();
      trusted.add(newRoot);
      current.authority().trustBundle().roots().stream()
          .filter(r -> r.getNotAfter().toInstant().isAfter(now))
          .forEach(trusted::add);
      CaSecret updated = new CaSecret(PemCodec.encodeCertificate(newRoot), current.secret().caKeyPem(),
          PemCodec.encodeCertificates(trusted), "");
      CaSecret stored = store.replace(current.secret(), updated);
      install(stored);
      log.info("self-signed CA root rotated with the same key; new root expires {}", newRoot.getNotAfter().toInstant());
      return true;
    } catch (CaSecretStore.ConflictException e) {
      // Another replica rotated first: adopt theirs (Istio's rotator does the same).
      store.load().ifPresent(this::install);
      return false;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("root rotation failed; keeping the current root", e);
    }
  }

  private CaSecret generate() {
    KeyPair keyPair = CaKeys.generate(options.keyAlgorithm());
    try {
      X509Certificate root = RootCertificateFactory.selfSigned(keyPair, options.trustDomain(), clock.instant(), options.rootTtl());
      String rootPem = PemCodec.encodeCertificate(root);
      return new CaSecret(rootPem, PemCodec.encodePrivateKey(keyPair.getPrivate()), rootPem, "");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot generate self-signed root", e);
    }
  }

  private void install(CaSecret secret) {
    SigningAuthority authority;
    try {
      authority = parse(secret);
    } catch (IllegalStateException e) {
      notReadyReason = e.getMessage();
      throw e;
    }
    State previous = state;
    state = new State(secret, authority);
    notReadyReason = "";
    if (previous == null || !previous.authority().trustBundle().equals(authority.trustBundle())) {
      listeners.fire(authority.trustBundle());
    }
  }

  static SigningAuthority parse(CaSecret secret) {
    try {
      List<X509Certificate> certs = PemCodec.decodeCertificates(secret.caCertPem());
      if (certs.size() != 1) {
        throw new IllegalStateException(CaSecret.CA_CERT + " must hold exactly one certificate");
      }
      X509Certificate root = certs.get(0);
      PrivateKey key = PemCodec.decodePrivateKey(secret.caKeyPem());
      if (!CaKeys.matches(key, root.getPublicKey())) {
        throw new IllegalStateException(CaSecret.CA_KEY + " does not match " + CaSecret.CA_CERT);
      }
      if (root.getBasicConstraints() < 0) {
        throw new IllegalStateException(CaSecret.CA_CERT + " is not a CA certificate");
      }
      List<X509Certificate> trusted = new ArrayList<>(PemCodec.decodeCertificates(secret.rootCertPem()));
      if (!trusted.contains(root)) {
        trusted.add(0, root);
      }
      return RootCertificateFactory.selfSignedAuthority(key, root, trusted);
    } catch (PemCodec.PemException e) {
      throw new IllegalStateException("CA secret does not parse: " + e.getMessage(), e);
    }
  }

  @Override
  public String name() {
    return "self-signed";
  }

  @Override
  public SignerReadiness readiness() {
    return state == null ? SignerReadiness.notReady(notReadyReason) : SignerReadiness.isReady();
  }

  @Override
  public TrustBundle trustBundle() {
    State s = state;
    return s == null ? null : s.authority().trustBundle();
  }

  @Override
  public List<X509Certificate> signingChain() {
    State s = state;
    return s == null ? List.of() : s.authority().chain();
  }

  @Override
  public List<X509Certificate> sign(SigningRequest request) {
    return issue(request).certificates();
  }

  @Override
  public IssuedChain issue(SigningRequest request) {
    State s = state;
    if (s == null) {
      throw new CaException(CaError.INTERNAL, "CA is not ready: " + notReadyReason);
    }
    try {
      return SvidFactory.encode(s.authority(), request, clock.instant());
    } catch (GeneralSecurityException e) {
      throw new CaException(CaError.INTERNAL, "certificate signing failed", e);
    }
  }

  @Override
  public void onTrustBundleChange(Consumer<TrustBundle> listener) {
    listeners.add(listener);
  }
}
