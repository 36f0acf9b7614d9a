package dev.gatehouse.ca.signer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.ca.MutableClock;
import dev.gatehouse.ca.TestPki;
import dev.gatehouse.ca.signer.selfsigned.CaSecret;
import dev.gatehouse.ca.signer.selfsigned.CaSecretStore;
import dev.gatehouse.ca.signer.selfsigned.FileCaSecretStore;
import dev.gatehouse.ca.signer.selfsigned.SelfSignedSigner;
import dev.gatehouse.ca.spiffe.SpiffeId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SelfSignedSignerTest {
  private final MutableClock clock = MutableClock.startingNow();

  private SelfSignedSigner signer(CaSecretStore store) {
    return new SelfSignedSigner(store, SelfSignedSigner.Options.defaults("cluster.local"), clock);
  }

  private List<X509Certificate> issue(CertificateSigner signer) {
    KeyPair key = TestPki.ecP256();
    return signer.sign(SigningRequest.workload(SpiffeId.of("cluster.local", "shop", "cart"), key.getPublic(), null, Duration.ofHours(24)));
  }

  @Test
  void firstStartCreatesAnEcRootForTenYearsAndStoresIt(@TempDir Path state) throws Exception {
    SelfSignedSigner signer = signer(new FileCaSecretStore(state));
    signer.initialize();
    X509Certificate root = signer.trustBundle().roots().get(0);
    assertThat(root.getPublicKey().getAlgorithm()).isEqualTo("EC");
    assertThat(root.getBasicConstraints()).isGreaterThanOrEqualTo(0);
    assertThat(root.getSubjectX500Principal().getName()).isEqualTo("O=cluster.local");
    assertThat(Duration.between(root.getNotBefore().toInstant(), root.getNotAfter().toInstant()).toDays()).isBetween(3650L, 3651L);
    Path secret = state.resolve("istio-ca-secret");
    assertThat(secret.resolve("ca-cert.pem")).exists();
    assertThat(secret.resolve("root-cert.pem")).exists();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(secret.resolve("ca-key.pem")))).isEqualTo("rw-------");

    SelfSignedSigner restarted = signer(new FileCaSecretStore(state));
    restarted.initialize();
    assertThat(restarted.trustBundle()).isEqualTo(signer.trustBundle());
  }

  @Test
  void twoInstancesRacingOnAnEmptyStateDirectoryEndWithOneRoot(@TempDir Path state) throws Exception {
    int replicas = 4;
    CyclicBarrier start = new CyclicBarrier(replicas);
    ExecutorService pool = Executors.newFixedThreadPool(replicas);
    try {
      List<Future<SelfSignedSigner>> racers = new ArrayList<>();
      for (int i = 0; i < replicas; i++) {
        racers.add(pool.submit(() -> {
          SelfSignedSigner s = signer(new FileCaSecretStore(state));
          start.await();
          s.initialize();
          return s;
        }));
      }
      List<TrustBundle> bundles = new ArrayList<>();
      for (Future<SelfSignedSigner> racer : racers) {
        SelfSignedSigner s = racer.get();
        bundles.add(s.trustBundle());
        // Every replica signs with the winner's key: its leaves verify against every replica's bundle.
        List<X509Certificate> chain = issue(s);
        assertThat(bundles.get(0).verify(chain, clock.instant())).isEqualTo(bundles.get(0).roots().get(0));
      }
      assertThat(bundles).allMatch(b -> b.equals(bundles.get(0)));
      try (var generations = Files.list(state)) {
        assertThat(generations.filter(p -> p.getFileName().toString().startsWith(".istio-ca-secret-"))).hasSize(1);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void rootIsReissuedWithTheSameKeyWhenLessThanTwentyPercentOfItsLifeRemains(@TempDir Path state) throws Exception {
    SelfSignedSigner signer = signer(new FileCaSecretStore(state));
    signer.initialize();
    X509Certificate oldRoot = signer.trustBundle().roots().get(0);
    List<X509Certificate> oldLeaf = issue(signer);
    java.time.Instant oldLeafIssued = clock.instant();
    List<TrustBundle> published = new ArrayList<>();
    signer.onTrustBundleChange(published::add);

    clock.advance(Duration.ofDays(3650 * 79 / 100));
    assertThat(signer.maintain(true)).isEqualTo(SelfSignedSigner.Maintenance.UNCHANGED);
    clock.advance(Duration.ofDays(3650 * 2 / 100));
    assertThat(signer.maintain(true)).isEqualTo(SelfSignedSigner.Maintenance.ROTATED);

    X509Certificate newRoot = signer.signingChain().get(0);
    assertThat(newRoot).isNotEqualTo(oldRoot);
    assertThat(newRoot.getPublicKey()).isEqualTo(oldRoot.getPublicKey());
    assertThat(newRoot.getNotAfter()).isAfter(oldRoot.getNotAfter());
    assertThat(signer.trustBundle().roots()).containsExactly(newRoot, oldRoot);
    assertThat(published).containsExactly(signer.trustBundle());
    // Same key: a leaf issued under the old root verifies against the new root alone, and vice versa.
    assertThat(TrustBundle.of(List.of(newRoot)).verify(oldLeaf.subList(0, 1), oldLeafIssued.plusSeconds(60))).isEqualTo(newRoot);
    assertThat(TrustBundle.of(List.of(oldRoot)).verify(issue(signer).subList(0, 1), clock.instant())).isEqualTo(oldRoot);

    SelfSignedSigner otherReplica = signer(new FileCaSecretStore(state));
    otherReplica.initialize();
    assertThat(otherReplica.trustBundle()).isEqualTo(signer.trustBundle());
  }

  @Test
  void aReplicaAdoptsARootRotatedByAnother(@TempDir Path state) {
    SelfSignedSigner a = signer(new FileCaSecretStore(state));
    SelfSignedSigner b = signer(new FileCaSecretStore(state));
    a.initialize();
    b.initialize();
    clock.advance(Duration.ofDays(3650 * 85 / 100));
    assertThat(a.maintain(true)).isEqualTo(SelfSignedSigner.Maintenance.ROTATED);
    assertThat(b.maintain(true)).isEqualTo(SelfSignedSigner.Maintenance.ADOPTED_FROM_STORE);
    assertThat(b.trustBundle()).isEqualTo(a.trustBundle());
  }

  @Test
  void aReplicaWithoutTheLeaseNeverCreatesTheRootAndIsNotReadyUntilTheLeaderDoes(@TempDir Path state) {
    SelfSignedSigner follower = signer(new FileCaSecretStore(state));
    assertThat(follower.maintain(false)).isEqualTo(SelfSignedSigner.Maintenance.WAITING_FOR_LEADER);
    assertThat(state.resolve("istio-ca-secret")).doesNotExist();
    assertThat(follower.readiness().ready()).isFalse();
    assertThat(follower.readiness().reason()).contains("leader");

    SelfSignedSigner leader = signer(new FileCaSecretStore(state));
    assertThat(leader.maintain(true)).isEqualTo(SelfSignedSigner.Maintenance.CREATED);
    assertThat(follower.maintain(false)).isEqualTo(SelfSignedSigner.Maintenance.ADOPTED_FROM_STORE);
    assertThat(follower.readiness().ready()).isTrue();
    assertThat(follower.trustBundle()).isEqualTo(leader.trustBundle());
  }

  @Test
  void aReplicaWithoutTheLeaseNeverRotatesButAdoptsTheLeadersRotation(@TempDir Path state) {
    SelfSignedSigner leader = signer(new FileCaSecretStore(state));
    SelfSignedSigner follower = signer(new FileCaSecretStore(state));
    leader.initialize();
    follower.maintain(false);
    X509Certificate oldRoot = follower.signingChain().get(0);
    clock.advance(Duration.ofDays(3650 * 85 / 100));

    assertThat(follower.maintain(false)).isEqualTo(SelfSignedSigner.Maintenance.UNCHANGED);
    assertThat(follower.signingChain().get(0)).isEqualTo(oldRoot);
    assertThat(leader.maintain(true)).isEqualTo(SelfSignedSigner.Maintenance.ROTATED);
    assertThat(follower.maintain(false)).isEqualTo(SelfSignedSigner.Maintenance.ADOPTED_FROM_STORE);
    // During the rotation the bundle carries both roots, on every replica.
    assertThat(follower.trustBundle().roots()).containsExactly(leader.signingChain().get(0), oldRoot);
    assertThat(follower.trustBundle()).isEqualTo(leader.trustBundle());
  }

  @Test
  void replacingAStaleVersionIsAConflict(@TempDir Path state) throws Exception {
    FileCaSecretStore store = new FileCaSecretStore(state);
    CaSecret first = store.createIfAbsent(new CaSecret("a", "b", "c", ""));
    CaSecret second = store.replace(first, new CaSecret("a2", "b2", "c2", ""));
    assertThat(store.load().orElseThrow().caCertPem()).isEqualTo("a2");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> store.replace(first, new CaSecret("a3", "b3", "c3", "")))
        .isInstanceOf(CaSecretStore.ConflictException.class);
    assertThat(store.load().orElseThrow()).isEqualTo(second);
  }

  @Test
  void corruptStoredSecretIsNeverOverwrittenAndTheSignerIsNotReady(@TempDir Path state) throws Exception {
    FileCaSecretStore store = new FileCaSecretStore(state);
    store.createIfAbsent(new CaSecret("not a cert", "not a key", "not a cert", ""));
    SelfSignedSigner signer = signer(store);
    org.assertj.core.api.Assertions.assertThatThrownBy(signer::initialize).isInstanceOf(IllegalStateException.class);
    assertThat(signer.readiness().ready()).isFalse();
    assertThat(store.load().orElseThrow().caCertPem()).isEqualTo("not a cert");
  }
}
