package dev.gatehouse.ca.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.gatehouse.ca.TestPki;
import dev.gatehouse.ca.csr.CsrValidator;
import dev.gatehouse.ca.csr.SanPolicy;
import dev.gatehouse.ca.csr.ValidatedCsr;
import dev.gatehouse.ca.signer.SigningAuthority;
import dev.gatehouse.ca.signer.SigningRequest;
import dev.gatehouse.ca.spiffe.SpiffeId;
import dev.gatehouse.ca.x509.SvidFactory;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The fallback with the native provider really absent: a second JVM runs the CA's provider choice on this module's test
 * class path with Amazon Corretto Crypto Provider's jar taken out (as on a build or platform without it), through the
 * bundled loader ({@link CaCrypto#BUNDLED}), not an injected one. The same probe on the full class path is the control:
 * it must find the native provider where its library is built for the machine, so the probe can tell the two apart.
 */
class NativeProviderAbsentTest {

  @Test
  void withoutTheNativeJarTheCaFallsBackToTheJdkAndStillIssues() throws Exception {
    List<String> classPath = classPath();
    List<String> without = classPath.stream().filter(e -> !e.contains("AmazonCorrettoCryptoProvider")).toList();
    assertThat(without).as("the test class path holds the native provider's jar").hasSizeLessThan(classPath.size());

    Result r = probe(without);

    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output())
        .contains("accp-class=absent")
        .contains("native=false")
        .contains("provider=" + java.security.Signature.getInstance("SHA256withECDSA").getProvider().getName())
        .contains("reason=Amazon Corretto Crypto Provider is not on the class path or does not link")
        .contains("native-preference=refused: native CA crypto provider requested but unavailable")
        .contains("issued=spiffe://cluster.local/ns/shop/sa/cart");
  }

  @Test
  void theSameProbeFindsTheNativeProviderWhereItsLibraryIsBuiltForTheMachine() throws Exception {
    String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch");
    assumeThat(os.contains("linux") && (arch.equals("amd64") || arch.equals("x86_64")))
        .as("ACCP's bundled native library is for linux-x86_64").isTrue();

    Result r = probe(classPath());

    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output()).contains("accp-class=present").contains("native=true")
        .contains("provider=AmazonCorrettoCryptoProvider").contains("native-preference=ok")
        .contains("issued=spiffe://cluster.local/ns/shop/sa/cart");
  }

  private static List<String> classPath() {
    return Arrays.asList(System.getProperty("java.class.path").split(File.pathSeparator));
  }

  private record Result(int exit, String output) {}

  private static Result probe(List<String> classPath) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-cp");
    cmd.add(String.join(File.pathSeparator, classPath));
    cmd.add(Probe.class.getName());
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out;
    try (var in = p.getInputStream()) {
      out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("probe finished").isTrue();
    return new Result(p.exitValue(), out);
  }

  /** Runs in the second JVM: the CA's provider choice as a running CA makes it, then one certificate through it. */
  public static final class Probe {
    public static void main(String[] args) throws Exception {
      boolean present;
      try {
        Class.forName("com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider", false,
            Probe.class.getClassLoader());
        present = true;
      } catch (ClassNotFoundException e) {
        present = false;
      }
      System.out.println("accp-class=" + (present ? "present" : "absent"));
      CaCrypto crypto = CaCrypto.select(CaCrypto.Preference.AUTO, CaCrypto.BUNDLED);
      System.out.println("native=" + crypto.isNative());
      System.out.println("provider=" + crypto.providerName());
      System.out.println("reason=" + crypto.fallbackReason());
      try {
        CaCrypto.select(CaCrypto.Preference.NATIVE, CaCrypto.BUNDLED);
        System.out.println("native-preference=ok");
      } catch (IllegalStateException e) {
        System.out.println("native-preference=refused: " + e.getMessage());
      }
      SpiffeId cart = SpiffeId.of("cluster.local", "shop", "cart");
      SigningAuthority root = TestPki.root("cluster.local", Instant.now().minusSeconds(60), Duration.ofDays(30));
      KeyPair workload = TestPki.ecP256();
      ValidatedCsr csr = new CsrValidator(SanPolicy.STRICT, crypto)
          .validate(TestPki.Csr.forKey(workload).uri(cart.toString()).pem(), cart);
      X509Certificate leaf = SvidFactory.issue(root, SigningRequest.workload(cart, csr.publicKey(), csr.request(),
          Duration.ofHours(1)), Instant.now(), crypto).get(0);
      leaf.verify(root.signingCertificate().getPublicKey(), "SunEC");
      System.out.println("issued=" + leaf.getSubjectAlternativeNames().stream().map(n -> String.valueOf(n.get(1)))
          .collect(Collectors.joining(",")));
    }
  }
}
