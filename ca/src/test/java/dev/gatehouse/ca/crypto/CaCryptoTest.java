package dev.gatehouse.ca.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.gatehouse.ca.TestPki;
import dev.gatehouse.ca.csr.CsrValidator;
import dev.gatehouse.ca.csr.SanPolicy;
import dev.gatehouse.ca.csr.ValidatedCsr;
import dev.gatehouse.ca.signer.SigningAuthority;
import dev.gatehouse.ca.signer.SigningRequest;
import dev.gatehouse.ca.spiffe.SpiffeId;
import dev.gatehouse.ca.x509.SvidFactory;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.KeyFactory;
import java.security.KeyFactorySpi;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.SignatureSpi;
import java.security.cert.X509Certificate;
import java.security.spec.KeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class CaCryptoTest {
  private static final SpiffeId CART = SpiffeId.of("cluster.local", "shop", "cart");
  private static final Instant NOW = Instant.now();
  private static final SigningAuthority ROOT = TestPki.root("cluster.local", NOW.minusSeconds(60), Duration.ofDays(30));
  private static final CaCrypto.NativeLoader ABSENT = () -> {
    throw new CaCrypto.NativeUnavailableException("Amazon Corretto Crypto Provider's native library did not load: "
        + "no libamazonCorrettoCryptoProvider in java.library.path", null);
  };

  @Test
  void absentNativeProviderFallsBackToTheJdkAndTheCaStillIssues() throws Exception {
    CaCrypto crypto = CaCrypto.select(CaCrypto.Preference.AUTO, ABSENT);

    assertThat(crypto.isNative()).isFalse();
    assertThat(crypto.provider()).isNull();
    assertThat(crypto.providerName()).isEqualTo(Signature.getInstance("SHA256withECDSA").getProvider().getName());
    assertThat(crypto.fallbackReason()).contains("native library did not load");
    assertThat(crypto.describe()).contains("JDK providers").contains("native library did not load");
    assertThat(crypto.signature("SHA256withECDSA").getProvider().getName()).isNotEqualTo("AmazonCorrettoCryptoProvider");

    X509Certificate leaf = issueThrough(crypto);
    assertThat(leaf.getPublicKey().getClass().getName()).doesNotContain("amazon");
  }

  @Test
  void nativeLibraryThatThrowsLinkageErrorsFallsBackToo() {
    CaCrypto crypto = CaCrypto.select(CaCrypto.Preference.AUTO, () -> {
      throw new UnsatisfiedLinkError("wrong ELF class: ELFCLASS64");
    });
    assertThat(crypto.isNative()).isFalse();
    assertThat(crypto.fallbackReason()).contains("wrong ELF class");
  }

  @Test
  void nativePreferenceRefusesToStartWithoutTheNativeProvider() {
    assertThatThrownBy(() -> CaCrypto.select(CaCrypto.Preference.NATIVE, ABSENT))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("native CA crypto provider requested but unavailable")
        .hasMessageContaining("native library did not load");
  }

  @Test
  void jdkPreferenceNeverTouchesTheNativeProvider() throws Exception {
    AtomicBoolean loaded = new AtomicBoolean();
    CaCrypto crypto = CaCrypto.select(CaCrypto.Preference.JDK, () -> {
      loaded.set(true);
      throw new AssertionError("the native loader must not be called");
    });
    assertThat(loaded).isFalse();
    assertThat(crypto.isNative()).isFalse();
    assertThat(crypto.fallbackReason()).contains("gatehouse.ca.crypto-provider=jdk");
    issueThrough(crypto);
  }

  @Test
  void threadSignaturesAreOnePerThreadWithTheNativeProviderAndFreshWithTheJdks() throws Exception {
    CaCrypto jdk = CaCrypto.jdk("test");
    assertThat(jdk.threadSignature("SHA256withECDSA")).isNotSameAs(jdk.threadSignature("SHA256withECDSA"));
    CaCrypto crypto = CaCrypto.select(CaCrypto.Preference.AUTO, CaCrypto.BUNDLED);
    assumeThat(crypto.isNative()).as("native provider loads on this platform").isTrue();
    Signature mine = crypto.threadSignature("SHA256withECDSA");
    assertThat(crypto.threadSignature("SHA256withECDSA")).isSameAs(mine);
    assertThat(crypto.threadSignature("SHA384withECDSA")).isNotSameAs(mine);
    java.util.concurrent.atomic.AtomicReference<Signature> other = new java.util.concurrent.atomic.AtomicReference<>();
    Thread thread = new Thread(() -> {
      try {
        other.set(crypto.threadSignature("SHA256withECDSA"));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    thread.start();
    thread.join();
    assertThat(other.get()).isNotNull().isNotSameAs(mine);
    // Reused across operations: each init starts a fresh one (a sign left half-done does not leak into the next).
    KeyPair key = TestPki.ecP256();
    mine.initSign(crypto.signingKey(key.getPrivate()));
    mine.update(new byte[] {1, 2, 3});
    mine.initSign(crypto.signingKey(key.getPrivate()));
    mine.update(new byte[] {4});
    byte[] signature = mine.sign();
    Signature verifier = Signature.getInstance("SHA256withECDSA");
    verifier.initVerify(key.getPublic());
    verifier.update(new byte[] {4});
    assertThat(verifier.verify(signature)).isTrue();
  }

  @Test
  void preferenceParsesThePropertyValues() {
    assertThat(CaCrypto.Preference.parse("auto")).isEqualTo(CaCrypto.Preference.AUTO);
    assertThat(CaCrypto.Preference.parse(" Native ")).isEqualTo(CaCrypto.Preference.NATIVE);
    assertThat(CaCrypto.Preference.parse("JDK")).isEqualTo(CaCrypto.Preference.JDK);
    assertThatThrownBy(() -> CaCrypto.Preference.parse("openssl")).hasMessageContaining("auto, native or jdk");
  }

  /** The bundled jar is linux-x86_64: there the real native provider must load, or the CA silently runs slow. */
  @Test
  void bundledNativeProviderIsUsedOnLinuxX86_64AndInteroperatesWithTheJdk() throws Exception {
    String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch");
    assumeThat(os.contains("linux") && (arch.equals("amd64") || arch.equals("x86_64")))
        .as("ACCP's bundled native library is for linux-x86_64").isTrue();

    CaCrypto crypto = CaCrypto.select(CaCrypto.Preference.NATIVE, CaCrypto.BUNDLED);

    assertThat(crypto.isNative()).isTrue();
    assertThat(crypto.providerName()).isEqualTo("AmazonCorrettoCryptoProvider");
    assertThat(crypto.describe()).contains("native").contains("AWS-LC");
    assertThat(crypto.signature("SHA256withECDSA").getProvider().getName()).isEqualTo("AmazonCorrettoCryptoProvider");
    // Signed natively, verified by the JDK's own X.509 code against the JDK-made root.
    issueThrough(crypto);
    // RSA workloads go through the same provider.
    KeyPair rsa = TestPki.rsa(2048);
    ValidatedCsr csr = new CsrValidator(SanPolicy.STRICT, crypto)
        .validate(TestPki.Csr.forKey(rsa).uri(CART.toString()).pem(), CART);
    assertThat(csr.keyKind()).isEqualTo(ValidatedCsr.KeyKind.RSA);
    X509Certificate leaf = SvidFactory.issue(ROOT, SigningRequest.workload(CART, csr.publicKey(), csr.request(),
        Duration.ofHours(1)), Instant.now(), crypto).get(0);
    leaf.verify(ROOT.signingCertificate().getPublicKey());
    assertThat(leaf.getPublicKey().getEncoded()).isEqualTo(rsa.getPublic().getEncoded());
  }

  @Test
  void aForgedProofOfPossessionIsRefusedByEitherProvider() {
    for (CaCrypto crypto : List.of(CaCrypto.select(CaCrypto.Preference.AUTO, CaCrypto.BUNDLED), CaCrypto.jdk("test"))) {
      String pem = TestPki.Csr.forKey(TestPki.ecP256()).uri(CART.toString()).signedBy(TestPki.ecP256().getPrivate()).pem();
      assertThatThrownBy(() -> new CsrValidator(SanPolicy.STRICT, crypto).validate(pem, CART))
          .as(crypto.describe()).hasMessageContaining("no proof of possession");
    }
  }

  enum Broken { SIGNS_OTHER_DATA, ACCEPTS_ANY_SIGNATURE }

  /** A native library that loads and passes its own self-tests but computes something else must not sign anything. */
  @ParameterizedTest
  @EnumSource(Broken.class)
  void nativeProviderThatDisagreesWithTheJdkIsNotUsed(Broken broken) {
    CaCrypto.NativeLoader loader = () -> new BrokenProvider(broken);

    CaCrypto crypto = CaCrypto.select(CaCrypto.Preference.AUTO, loader);
    assertThat(crypto.isNative()).isFalse();
    assertThat(crypto.fallbackReason()).contains(broken == Broken.SIGNS_OTHER_DATA
        ? "does not verify with the JDK" : "accepts a signature over other data");
    assertThatThrownBy(() -> CaCrypto.select(CaCrypto.Preference.NATIVE, loader)).isInstanceOf(IllegalStateException.class);
  }

  /** Validates a CSR and signs its certificate through {@code crypto}; the JDK verifies the result. */
  private static X509Certificate issueThrough(CaCrypto crypto) throws Exception {
    KeyPair workload = TestPki.ecP256();
    ValidatedCsr csr = new CsrValidator(SanPolicy.STRICT, crypto)
        .validate(TestPki.Csr.forKey(workload).uri(CART.toString()).pem(), CART);
    List<X509Certificate> chain = SvidFactory.issue(ROOT, SigningRequest.workload(CART, csr.publicKey(), csr.request(),
        Duration.ofHours(1)), Instant.now(), crypto);
    X509Certificate leaf = chain.get(0);
    leaf.verify(ROOT.signingCertificate().getPublicKey(), "SunEC");
    leaf.checkValidity();
    assertThat(leaf.getSubjectAlternativeNames().stream().map(n -> String.valueOf(n.get(1))).toList()).containsExactly(CART.toString());
    assertThat(leaf.getPublicKey().getEncoded()).isEqualTo(workload.getPublic().getEncoded());
    assertThat(chain.get(chain.size() - 1)).isEqualTo(ROOT.root());
    return leaf;
  }

  /** EC keys as the JDK makes them; SHA256withECDSA wrong in one of two ways. */
  private static final class BrokenProvider extends Provider {
    BrokenProvider(Broken broken) {
      super("BrokenNative", "1.0", "computes ECDSA wrongly");
      putService(new Service(this, "KeyFactory", "EC", JdkKeyFactory.class.getName(), null, null) {
        @Override
        public Object newInstance(Object parameter) {
          return new JdkKeyFactory();
        }
      });
      putService(new Service(this, "Signature", "SHA256withECDSA", BrokenSignature.class.getName(), null, null) {
        @Override
        public Object newInstance(Object parameter) {
          return new BrokenSignature(broken);
        }
      });
    }
  }

  private static final class JdkKeyFactory extends KeyFactorySpi {
    private final KeyFactory jdk;

    JdkKeyFactory() {
      try {
        jdk = KeyFactory.getInstance("EC", "SunEC");
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    protected PublicKey engineGeneratePublic(KeySpec spec) throws java.security.spec.InvalidKeySpecException {
      return jdk.generatePublic(spec);
    }

    @Override
    protected PrivateKey engineGeneratePrivate(KeySpec spec) throws java.security.spec.InvalidKeySpecException {
      return jdk.generatePrivate(spec);
    }

    @Override
    protected <T extends KeySpec> T engineGetKeySpec(Key key, Class<T> spec) throws java.security.spec.InvalidKeySpecException {
      return jdk.getKeySpec(key, spec);
    }

    @Override
    protected Key engineTranslateKey(Key key) throws InvalidKeyException {
      return jdk.translateKey(key);
    }
  }

  private static final class BrokenSignature extends SignatureSpi {
    private final Broken broken;
    private final Signature jdk;

    BrokenSignature(Broken broken) {
      this.broken = broken;
      try {
        jdk = Signature.getInstance("SHA256withECDSA", "SunEC");
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    protected void engineInitVerify(PublicKey key) throws InvalidKeyException {
      jdk.initVerify(key);
    }

    @Override
    protected void engineInitSign(PrivateKey key) throws InvalidKeyException {
      jdk.initSign(key);
    }

    @Override
    protected void engineUpdate(byte b) throws SignatureException {
      engineUpdate(new byte[] {b}, 0, 1);
    }

    @Override
    protected void engineUpdate(byte[] b, int off, int len) throws SignatureException {
      if (broken == Broken.SIGNS_OTHER_DATA) {
        jdk.update("other data".getBytes(StandardCharsets.US_ASCII));
      } else {
        jdk.update(b, off, len);
      }
    }

    @Override
    protected byte[] engineSign() throws SignatureException {
      return jdk.sign();
    }

    @Override
    protected boolean engineVerify(byte[] signature) throws SignatureException {
      boolean valid = jdk.verify(signature);
      return broken == Broken.ACCEPTS_ANY_SIGNATURE || valid;
    }

    @Override
    @Deprecated
    protected void engineSetParameter(String param, Object value) {}

    @Override
    @Deprecated
    protected Object engineGetParameter(String param) {
      return null;
    }
  }
}
