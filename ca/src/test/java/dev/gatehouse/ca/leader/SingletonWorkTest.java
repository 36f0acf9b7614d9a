package dev.gatehouse.ca.leader;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.ca.TestPki;
import dev.gatehouse.ca.leader.SingletonWork.BundleWrite;
import dev.gatehouse.ca.leader.SingletonWork.PublishedBundle;
import dev.gatehouse.ca.leader.SingletonWork.RootStep;
import dev.gatehouse.ca.x509.RootCertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SingletonWorkTest {
  private static final Instant CREATED = Instant.parse("2026-01-01T00:00:00Z");
  private static final X509Certificate ROOT = root();

  private static X509Certificate root() {
    try {
      return RootCertificateFactory.selfSigned(TestPki.ecP256(), "cluster.local", CREATED, Duration.ofDays(1000));
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A moment when {@code fraction} of ROOT's validity (which starts 2 minutes before CREATED) has passed. */
  private static Instant at(double fraction) {
    Instant from = ROOT.getNotBefore().toInstant();
    long life = ROOT.getNotAfter().getTime() - from.toEpochMilli();
    return from.plusMillis((long) (life * fraction));
  }

  @Test
  void onlyTheLeaseHolderCreatesTheFirstRoot() {
    assertThat(SingletonWork.rootStep(true, Optional.empty(), CREATED, 0.2)).isEqualTo(RootStep.CREATE);
    assertThat(SingletonWork.rootStep(false, Optional.empty(), CREATED, 0.2)).isEqualTo(RootStep.WAIT_FOR_LEADER);
  }

  @Test
  void onlyTheLeaseHolderRotatesAndOnlyOnceLessThanTheThresholdRemains() {
    assertThat(SingletonWork.rootStep(true, Optional.of(ROOT), at(0.79), 0.2)).isEqualTo(RootStep.NONE);
    assertThat(SingletonWork.rootStep(true, Optional.of(ROOT), at(0.81), 0.2)).isEqualTo(RootStep.ROTATE);
    assertThat(SingletonWork.rootStep(false, Optional.of(ROOT), at(0.81), 0.2)).isEqualTo(RootStep.NONE);
    assertThat(SingletonWork.rootStep(false, Optional.of(ROOT), at(1.5), 0.2)).isEqualTo(RootStep.NONE);
    assertThat(SingletonWork.rootStep(true, Optional.of(ROOT), at(0.51), 0.5)).isEqualTo(RootStep.ROTATE);
  }

  @Test
  void onlyTheLeaseHolderWritesTrustBundleConfigMaps() {
    Optional<PublishedBundle> none = Optional.empty();
    assertThat(SingletonWork.bundleWrite(true, none, "PEM")).isEqualTo(BundleWrite.CREATE);
    assertThat(SingletonWork.bundleWrite(false, none, "PEM")).isEqualTo(BundleWrite.NONE);
    assertThat(SingletonWork.bundleWrite(true, none, null)).as("no bundle yet").isEqualTo(BundleWrite.NONE);
  }

  @Test
  void staleOrEditedConfigMapsArePutBackAndCurrentOnesLeftAlone() {
    assertThat(SingletonWork.bundleWrite(true, Optional.of(new PublishedBundle("PEM", true)), "PEM")).isEqualTo(BundleWrite.NONE);
    assertThat(SingletonWork.bundleWrite(true, Optional.of(new PublishedBundle("OLD", true)), "PEM")).isEqualTo(BundleWrite.UPDATE);
    assertThat(SingletonWork.bundleWrite(true, Optional.of(new PublishedBundle("PEM", false)), "PEM"))
        .as("label removed").isEqualTo(BundleWrite.UPDATE);
    assertThat(SingletonWork.bundleWrite(true, Optional.of(new PublishedBundle(null, true)), "PEM"))
        .as("key removed").isEqualTo(BundleWrite.UPDATE);
    assertThat(SingletonWork.bundleWrite(false, Optional.of(new PublishedBundle("OLD", true)), "PEM")).isEqualTo(BundleWrite.NONE);
  }
}
