package dev.gatehouse.ca.signer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.ca.MutableClock;
import dev.gatehouse.ca.TestPki;
import dev.gatehouse.ca.pem.PemCodec;
import dev.gatehouse.ca.signer.selfsigned.FileCaSecretStore;
import dev.gatehouse.ca.signer.selfsigned.SelfSignedSigner;
import dev.gatehouse.ca.spiffe.SpiffeId;
import dev.gatehouse.ca.x509.SvidFactory;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A mode switch with overlap: the previous CA's root stays in the bundle (and in the root element of every
 * CreateCertificate answer) until the configured instant, so its leaves keep verifying; then it leaves, announced.
 */
class OverlappingTrustSignerTest {
  @TempDir Path dir;
  private final MutableClock clock = MutableClock.startingNow();
  private SigningAuthority oldCa;
  private X509Certificate oldLeaf;
  private SelfSignedSigner newCa;

  @BeforeEach
  void setUp() throws Exception {
    oldCa = TestPki.root("cluster.local", clock.instant(), Duration.ofDays(365));
    oldLeaf = SvidFactory.issue(oldCa, request(), clock.instant()).get(0);
    newCa = new SelfSignedSigner(new FileCaSecretStore(dir), SelfSignedSigner.Options.defaults("cluster.local"), clock);
    newCa.initialize();
  }

  private static SigningRequest request() {
    return SigningRequest.workload(SpiffeId.of("cluster.local", "shop", "cart"), TestPki.ecP256().getPublic(), null,
        Duration.ofHours(1));
  }

  @Test
  void oldLeavesVerifyAgainstThePublishedBundleDuringTheOverlapAndNotAfter() throws Exception {
    OverlappingTrustSigner signer = new OverlappingTrustSigner(newCa, List.of(oldCa.root()),
        clock.instant().plus(Duration.ofHours(2)), clock);
    List<TrustBundle> announced = new ArrayList<>();
    signer.onTrustBundleChange(announced::add);

    assertThat(signer.trustBundle().roots()).containsExactly(newCa.trustBundle().roots().get(0), oldCa.root());
    assertThat(signer.trustBundle().verify(List.of(oldLeaf), clock.instant())).isEqualTo(oldCa.root());
    IssuedChain issued = signer.issue(request());
    List<String> pem = issued.pem();
    List<X509Certificate> answerRoots = PemCodec.decodeCertificates(pem.get(pem.size() - 1));
    assertThat(answerRoots).as("root element of the CreateCertificate answer").containsExactly(
        newCa.trustBundle().roots().get(0), oldCa.root());
    assertThat(TrustBundle.of(answerRoots).verify(List.of(oldLeaf), clock.instant())).isEqualTo(oldCa.root());
    assertThat(TrustBundle.of(answerRoots).verify(issued.certificates(), clock.instant()))
        .isEqualTo(newCa.trustBundle().roots().get(0));
    assertThat(signer.sign(request())).as("sign keeps one certificate per element").hasSize(2);
    assertThat(signer.endOverlapIfDue()).isFalse();
    assertThat(announced).isEmpty();

    clock.advance(Duration.ofHours(2));
    assertThat(signer.endOverlapIfDue()).isTrue();
    assertThat(announced).containsExactly(newCa.trustBundle());
    assertThat(signer.trustBundle()).isEqualTo(newCa.trustBundle());
    assertThatThrownBy(() -> signer.trustBundle().verify(List.of(oldLeaf), clock.instant()))
        .isInstanceOf(GeneralSecurityException.class);
    List<String> after = signer.issue(request()).pem();
    assertThat(PemCodec.decodeCertificates(after.get(after.size() - 1)))
        .containsExactly(newCa.trustBundle().roots().get(0));
    assertThat(signer.endOverlapIfDue()).as("announced once").isFalse();
  }

  @Test
  void aPreviousRootLeavesAtItsOwnNotAfterEvenBeforeTheOverlapEnds() throws Exception {
    SigningAuthority shortLived = TestPki.root("cluster.local", clock.instant(), Duration.ofHours(1));
    OverlappingTrustSigner signer = new OverlappingTrustSigner(newCa, List.of(oldCa.root(), shortLived.root()),
        clock.instant().plus(Duration.ofDays(7)), clock);
    assertThat(signer.trustBundle().roots()).hasSize(3);
    clock.advance(Duration.ofHours(2));
    assertThat(signer.endOverlapIfDue()).isTrue();
    assertThat(signer.trustBundle().roots()).containsExactly(newCa.trustBundle().roots().get(0), oldCa.root());
  }

  @Test
  void aChangeOfTheCurrentBundleIsAnnouncedWithTheOverlapRootsStillIn() throws Exception {
    SigningAuthority longLived = TestPki.root("cluster.local", clock.instant(), Duration.ofDays(2 * 3650));
    OverlappingTrustSigner signer = new OverlappingTrustSigner(newCa, List.of(longLived.root()),
        clock.instant().plus(Duration.ofDays(3650)), clock);
    List<TrustBundle> announced = new ArrayList<>();
    signer.onTrustBundleChange(announced::add);
    clock.advance(Duration.ofDays(3650 * 85 / 100));
    assertThat(newCa.maintain(true)).isEqualTo(SelfSignedSigner.Maintenance.ROTATED);
    assertThat(announced).hasSize(1);
    assertThat(announced.get(0).roots()).contains(longLived.root()).containsAll(newCa.trustBundle().roots());
  }

  @Test
  void aLeafIsRefusedAsAnOverlapRoot() throws Exception {
    assertThatThrownBy(() -> new OverlappingTrustSigner(newCa, List.of(oldLeaf), clock.instant().plusSeconds(60), clock))
        .hasMessageContaining("is not a CA certificate");
    assertThatThrownBy(() -> new OverlappingTrustSigner(newCa, List.of(), clock.instant().plusSeconds(60), clock))
        .hasMessageContaining("an overlap needs at least one root");
  }
}
