package dev.gatehouse.controlplane.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.ca.MutableClock;
import dev.gatehouse.ca.TestPki;
import dev.gatehouse.ca.pem.PemCodec;
import dev.gatehouse.ca.signer.CertificateSigner;
import dev.gatehouse.ca.signer.OverlappingTrustSigner;
import dev.gatehouse.ca.signer.SigningAuthority;
import dev.gatehouse.ca.signer.SigningRequest;
import dev.gatehouse.ca.signer.selfsigned.FileCaSecretStore;
import dev.gatehouse.ca.signer.selfsigned.SelfSignedSigner;
import dev.gatehouse.ca.spiffe.SpiffeId;
import dev.gatehouse.ca.x509.SvidFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code gatehouse.ca.overlap-roots.*}: what wraps the signer, and every input that refuses the start. */
class OverlapRootsLoaderTest {
  @TempDir Path dir;
  private final MutableClock clock = MutableClock.startingNow();
  private SelfSignedSigner current;
  private SigningAuthority old;

  @BeforeEach
  void setUp() {
    current = new SelfSignedSigner(new FileCaSecretStore(dir.resolve("state")),
        SelfSignedSigner.Options.defaults("cluster.local"), clock);
    current.initialize();
    old = TestPki.root("cluster.local", clock.instant(), Duration.ofDays(365));
  }

  private CertificateSigner wrap(Path file, String until) {
    return OverlapRootsLoader.wrap(current, new CaProperties.OverlapRoots(file, until), clock);
  }

  private String in(Duration d) {
    return clock.instant().plus(d).toString();
  }

  @Test
  void noSettingLeavesTheSignerAsItIs() {
    assertThat(wrap(null, null)).isSameAs(current);
    assertThat(wrap(null, " ")).isSameAs(current);
  }

  @Test
  void aFileOrAMountedConfigMapDirectoryIsReadAndTrustedUntilTheInstant() throws Exception {
    Path file = Files.writeString(dir.resolve("old-root.pem"), old.trustBundle().pem());
    CertificateSigner fromFile = wrap(file, in(Duration.ofDays(7)));
    assertThat(fromFile).isInstanceOf(OverlappingTrustSigner.class);
    assertThat(fromFile.trustBundle().roots()).containsExactly(current.trustBundle().roots().get(0), old.root());

    // A ConfigMap volume: keys are symlinks into ..data; the dot entries themselves are not read.
    SigningAuthority older = TestPki.root("cluster.local", clock.instant(), Duration.ofDays(365));
    Path mount = Files.createDirectories(dir.resolve("mount"));
    Path data = Files.createDirectories(mount.resolve("..2026_12_06_13_00_00.1"));
    Files.writeString(data.resolve("vault-root.pem"), old.trustBundle().pem());
    Files.writeString(data.resolve("self-signed-root.pem"), older.trustBundle().pem());
    Files.createSymbolicLink(mount.resolve("..data"), data.getFileName());
    Files.createSymbolicLink(mount.resolve("vault-root.pem"), Path.of("..data/vault-root.pem"));
    Files.createSymbolicLink(mount.resolve("self-signed-root.pem"), Path.of("..data/self-signed-root.pem"));
    CertificateSigner fromDir = wrap(mount, in(Duration.ofDays(7)));
    assertThat(fromDir.trustBundle().roots()).containsExactlyInAnyOrder(current.trustBundle().roots().get(0),
        old.root(), older.root());
    var oldLeaf = SvidFactory.issue(old, SigningRequest.workload(SpiffeId.of("cluster.local", "shop", "cart"),
        TestPki.ecP256().getPublic(), null, Duration.ofHours(1)), clock.instant());
    assertThat(fromDir.trustBundle().verify(oldLeaf, clock.instant())).isEqualTo(old.root());
  }

  @Test
  void anOverlapThatEndedOrWhoseRootsExpiredWrapsNothing() throws Exception {
    Path file = Files.writeString(dir.resolve("old-root.pem"), old.trustBundle().pem());
    assertThat(wrap(file, in(Duration.ofSeconds(-1)))).isSameAs(current);
    SigningAuthority expired = TestPki.root("cluster.local", clock.instant().minus(Duration.ofDays(2)), Duration.ofDays(1));
    Path expiredFile = Files.writeString(dir.resolve("expired.pem"), expired.trustBundle().pem());
    assertThat(wrap(expiredFile, in(Duration.ofDays(7)))).isSameAs(current);
  }

  @Test
  void badInputRefusesTheStartNamingTheProperty() throws Exception {
    Path good = Files.writeString(dir.resolve("old-root.pem"), old.trustBundle().pem());
    assertThatThrownBy(() -> wrap(dir.resolve("missing.pem"), in(Duration.ofDays(1))))
        .hasMessageContaining("gatehouse.ca.overlap-roots.file").hasMessageContaining("missing.pem")
        .hasMessageContaining("cannot be read");
    Path unreadable = Files.writeString(dir.resolve("unreadable.pem"), old.trustBundle().pem());
    unreadable.toFile().setReadable(false);
    if (!Files.isReadable(unreadable)) { // root can read anything
      assertThatThrownBy(() -> wrap(unreadable, in(Duration.ofDays(1)))).hasMessageContaining("cannot be read");
    }
    Path garbage = Files.writeString(dir.resolve("garbage.pem"), "this is not a certificate\n");
    assertThatThrownBy(() -> wrap(garbage, in(Duration.ofDays(1)))).hasMessageContaining("holds no PEM certificate");
    Path broken = Files.writeString(dir.resolve("broken.pem"),
        "-----BEGIN CERTIFICATE-----\nAAAAbroken\n-----END CERTIFICATE-----\n");
    assertThatThrownBy(() -> wrap(broken, in(Duration.ofDays(1)))).hasMessageContaining("is not a PEM certificate bundle");
    Path mixed = Files.createDirectories(dir.resolve("mixed"));
    Files.writeString(mixed.resolve("a.pem"), old.trustBundle().pem());
    Files.writeString(mixed.resolve("b.txt"), "notes\n");
    assertThatThrownBy(() -> wrap(mixed, in(Duration.ofDays(1)))).as("one bad file in a directory is not skipped")
        .hasMessageContaining("b.txt");
    var leaf = SvidFactory.issue(old, SigningRequest.workload(SpiffeId.of("cluster.local", "shop", "cart"),
        TestPki.ecP256().getPublic(), null, Duration.ofHours(1)), clock.instant()).get(0);
    Path leafFile = Files.writeString(dir.resolve("leaf.pem"), PemCodec.encodeCertificate(leaf));
    assertThatThrownBy(() -> wrap(leafFile, in(Duration.ofDays(1)))).hasMessageContaining("is not a CA certificate");
    assertThatThrownBy(() -> wrap(good, null)).hasMessageContaining("gatehouse.ca.overlap-roots.until");
    assertThatThrownBy(() -> wrap(null, in(Duration.ofDays(1)))).hasMessageContaining("gatehouse.ca.overlap-roots.file");
    assertThatThrownBy(() -> wrap(good, "72h")).hasMessageContaining("'72h' is not an ISO-8601 instant");
  }

  @Test
  void theSpringPropertiesBind() {
    var ca = new org.springframework.boot.context.properties.bind.Binder(
        new org.springframework.boot.context.properties.source.MapConfigurationPropertySource(java.util.Map.of(
            "gatehouse.ca.overlap-roots.file", "/etc/gatehouse/overlap-roots",
            "gatehouse.ca.overlap-roots.until", "2026-12-20T00:00:00Z")))
        .bindOrCreate("gatehouse.ca", CaProperties.class);
    assertThat(ca.overlapRoots().file()).isEqualTo(Path.of("/etc/gatehouse/overlap-roots"));
    assertThat(ca.overlapRoots().until()).isEqualTo("2026-12-20T00:00:00Z");
    assertThat(List.of(ca.mode())).containsExactly(CaMode.AUTO);
  }
}
