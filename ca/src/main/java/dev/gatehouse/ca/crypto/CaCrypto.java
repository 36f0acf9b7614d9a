package dev.gatehouse.ca.crypto;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JCA provider the CA verifies CSRs and signs certificates with: Amazon Corretto Crypto Provider (AWS-LC, native)
 * where its library loads and passes its self-tests and an interoperability check against the JDK, else the JDK's own
 * providers (SunEC, SunRsaSign). The choice is made once per process ({@link #use}, {@link #active}); the provider is
 * never installed into {@link java.security.Security}, so TLS, JOSE and everything else keep their own providers.
 * Immutable and thread-safe.
 */
public final class CaCrypto {
  private static final Logger log = LoggerFactory.getLogger(CaCrypto.class);

  /** Which provider to use: the native one when it loads (default), the native one or fail, or the JDK's. */
  public enum Preference {
    AUTO,
    NATIVE,
    JDK;

    /** {@code auto}, {@code native}, {@code jdk} (any case). */
    public static Preference parse(String value) {
      try {
        return valueOf(value.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("CA crypto provider must be auto, native or jdk, not '" + value + "'");
      }
    }
  }

  /** The native provider failed to load or to pass its checks. */
  public static final class NativeUnavailableException extends Exception {
    public NativeUnavailableException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** Loads the native provider or says why not. */
  @FunctionalInterface
  public interface NativeLoader {
    Provider load() throws NativeUnavailableException;
  }

  private static volatile CaCrypto active;

  /** The native provider as this build bundles it (Amazon Corretto Crypto Provider). */
  // A lambda, not AccpLoader::load: a method reference links AccpLoader while this class initializes, and without
  // the provider's jar that linking fails (NoClassDefFoundError from CaCrypto's static initializer, so no CA at all);
  // in a lambda it fails inside select(), which falls back (NativeProviderAbsentTest).
  public static final NativeLoader BUNDLED = () -> {
    try {
      return AccpLoader.load();
    } catch (LinkageError e) {
      throw new NativeUnavailableException(
          "Amazon Corretto Crypto Provider is not on the class path or does not link: " + e, e);
    }
  };

  private final Provider provider;
  private final boolean isNative;
  private final String providerName;
  private final String version;
  private final String fallbackReason;
  /** The CA has one signing key at a time: the last one handed to {@link #signingKey} and its native form. */
  private volatile TranslatedKey lastKey;

  private record TranslatedKey(PrivateKey source, PrivateKey translated) {}

  private CaCrypto(Provider provider, boolean isNative, String providerName, String version, String fallbackReason) {
    this.provider = provider;
    this.isNative = isNative;
    this.providerName = providerName;
    this.version = version;
    this.fallbackReason = fallbackReason;
  }

  /** The provider chosen for this process; {@link Preference#AUTO} with the bundled native library unless {@link #use} said otherwise. */
  public static CaCrypto active() {
    CaCrypto current = active;
    if (current == null) {
      synchronized (CaCrypto.class) {
        if (active == null) {
          active = select(Preference.AUTO, BUNDLED);
        }
        current = active;
      }
    }
    return current;
  }

  /** Chooses the provider for this process (at startup, before the CA signs anything) and returns it. */
  public static synchronized CaCrypto use(Preference preference) {
    active = select(preference, BUNDLED);
    return active;
  }

  /** Makes {@code crypto} the process-wide choice (tests and benchmarks comparing providers). */
  public static synchronized void use(CaCrypto crypto) {
    active = Objects.requireNonNull(crypto, "crypto");
  }

  /**
   * Chooses a provider. {@link Preference#NATIVE} throws {@link IllegalStateException} when the native provider is
   * unavailable: an operator who asked for it gets a clear startup failure rather than a slower CA.
   */
  public static CaCrypto select(Preference preference, NativeLoader loader) {
    Objects.requireNonNull(preference, "preference");
    if (preference == Preference.JDK) {
      return jdk("disabled by configuration (gatehouse.ca.crypto-provider=jdk)");
    }
    try {
      Provider provider = loader.load();
      interoperates(provider);
      return new CaCrypto(provider, true, provider.getName(), provider.getVersionStr(), "");
    } catch (NativeUnavailableException | GeneralSecurityException | RuntimeException | LinkageError e) {
      String reason = reasonOf(e);
      if (preference == Preference.NATIVE) {
        throw new IllegalStateException("native CA crypto provider requested but unavailable: " + reason, e);
      }
      log.debug("native CA crypto provider unavailable", e);
      return jdk(reason);
    }
  }

  /** The JDK's providers, with the reason the native one is not used. */
  public static CaCrypto jdk(String reason) {
    Provider ec;
    try {
      ec = Signature.getInstance("SHA256withECDSA").getProvider();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA256withECDSA", e);
    }
    return new CaCrypto(null, false, ec.getName(), ec.getVersionStr(), reason);
  }

  /**
   * Signs with the native provider, verifies with the JDK's, and back: a native library that loads but computes
   * something else must not sign a single workload certificate.
   */
  private static void interoperates(Provider provider) throws GeneralSecurityException {
    byte[] probe = "gatehouse native crypto check".getBytes(StandardCharsets.US_ASCII);
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair jdkKey = generator.generateKeyPair();
    PrivateKey nativeKey = KeyFactory.getInstance("EC", provider)
        .generatePrivate(new PKCS8EncodedKeySpec(jdkKey.getPrivate().getEncoded()));
    PublicKey nativePublic = KeyFactory.getInstance("EC", provider)
        .generatePublic(new X509EncodedKeySpec(jdkKey.getPublic().getEncoded()));
    Signature nativeSigner = Signature.getInstance("SHA256withECDSA", provider);
    nativeSigner.initSign(nativeKey);
    nativeSigner.update(probe);
    byte[] nativeSignature = nativeSigner.sign();
    Signature jdkVerifier = Signature.getInstance("SHA256withECDSA");
    jdkVerifier.initVerify(jdkKey.getPublic());
    jdkVerifier.update(probe);
    if (!jdkVerifier.verify(nativeSignature)) {
      throw new GeneralSecurityException("a native ECDSA signature does not verify with the JDK");
    }
    Signature jdkSigner = Signature.getInstance("SHA256withECDSA");
    jdkSigner.initSign(jdkKey.getPrivate());
    jdkSigner.update(probe);
    byte[] jdkSignature = jdkSigner.sign();
    Signature nativeVerifier = Signature.getInstance("SHA256withECDSA", provider);
    nativeVerifier.initVerify(nativePublic);
    nativeVerifier.update(probe);
    if (!nativeVerifier.verify(jdkSignature)) {
      throw new GeneralSecurityException("a JDK ECDSA signature does not verify natively");
    }
    nativeVerifier.initVerify(nativePublic);
    nativeVerifier.update("something else".getBytes(StandardCharsets.US_ASCII));
    if (nativeVerifier.verify(jdkSignature)) {
      throw new GeneralSecurityException("the native verifier accepts a signature over other data");
    }
  }

  private static String reasonOf(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    if (root != e && root.getMessage() != null && !message.contains(root.getMessage())) {
      message += ": " + root.getMessage();
    }
    return message;
  }

  /** True when the native provider is in use. */
  public boolean isNative() {
    return isNative;
  }

  /** {@code AmazonCorrettoCryptoProvider}, or the JDK's ECDSA provider ({@code SunEC}). */
  public String providerName() {
    return providerName;
  }

  /** The provider's version ({@code 2.5.0}, or the JDK's for its providers). */
  public String version() {
    return version;
  }

  /** Why the native provider is not in use; empty when it is. */
  public String fallbackReason() {
    return fallbackReason;
  }

  /** One line for the startup log and the benchmark's first line. */
  public String describe() {
    if (isNative) {
      return providerName() + " " + version() + " (native" + nativeDetail() + ")";
    }
    return providerName() + " " + version() + " (JDK providers; native provider not used: " + fallbackReason + ")";
  }

  private String nativeDetail() {
    String detail;
    try {
      detail = AccpLoader.libraryVersion(provider);
    } catch (LinkageError e) {
      detail = ""; // another native provider than the bundled one, whose jar is absent
    }
    return detail.isEmpty() ? "" : ", " + detail;
  }

  /** A {@link Signature} for {@code algorithm} from the chosen provider (a fresh instance: they are not thread-safe). */
  public Signature signature(String algorithm) throws NoSuchAlgorithmException {
    return provider != null ? Signature.getInstance(algorithm, provider) : Signature.getInstance(algorithm);
  }

  /**
   * This thread's {@link Signature} for {@code algorithm} from the native provider, made once per thread and
   * re-initialized by the caller ({@code initSign}/{@code initVerify}) before each use; for one operation at a time, never
   * kept beyond it. The provider lookup and the native context behind a new instance were a visible part of a CSR at
   * thousands per second (CaBenchmark, JFR). With the JDK's providers a fresh instance each time (its provider is chosen
   * by the first key it is initialized with).
   */
  public Signature threadSignature(String algorithm) throws NoSuchAlgorithmException {
    if (provider == null) {
      return signature(algorithm);
    }
    Map<String, Signature> mine = threadSignatures.get();
    Signature signature = mine.get(algorithm);
    if (signature == null) {
      signature = Signature.getInstance(algorithm, provider);
      mine.put(algorithm, signature);
    }
    return signature;
  }

  private final ThreadLocal<Map<String, Signature>> threadSignatures = ThreadLocal.withInitial(HashMap::new);

  /** The provider for BouncyCastle's JCA builders; null means the JDK's default lookup. */
  public Provider provider() {
    return provider;
  }

  /**
   * A public key from its DER SubjectPublicKeyInfo, as the chosen provider's own key object (a foreign key would be
   * converted on every use).
   */
  public PublicKey publicKey(String keyAlgorithm, byte[] subjectPublicKeyInfo) throws GeneralSecurityException {
    KeyFactory factory = provider != null ? KeyFactory.getInstance(keyAlgorithm, provider) : KeyFactory.getInstance(keyAlgorithm);
    return factory.generatePublic(new X509EncodedKeySpec(subjectPublicKeyInfo));
  }

  /** {@code key} as the chosen provider's own key object; converted once per CA key, not once per certificate. */
  public PrivateKey signingKey(PrivateKey key) throws InvalidKeyException {
    if (provider == null) {
      return key;
    }
    TranslatedKey last = lastKey;
    if (last != null && last.source() == key) {
      return last.translated();
    }
    try {
      PrivateKey translated = KeyFactory.getInstance(key.getAlgorithm(), provider)
          .generatePrivate(new PKCS8EncodedKeySpec(key.getEncoded()));
      lastKey = new TranslatedKey(key, translated);
      return translated;
    } catch (GeneralSecurityException e) {
      throw new InvalidKeyException("the CA key cannot be used with " + provider.getName() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public String toString() {
    return describe();
  }
}
