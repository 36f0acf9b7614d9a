package dev.gatehouse.controlplane.ca;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.ca.signer.selfsigned.FileCaSecretStore;
import dev.gatehouse.ca.signer.selfsigned.SelfSignedSigner;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/** The readiness group includes this indicator: a replica whose signer cannot sign must report OUT_OF_SERVICE. */
class CaHealthIndicatorTest {
  @TempDir
  Path state;

  @Test
  void signerThatHasNotLoadedItsRootIsOutOfService() {
    SelfSignedSigner signer = new SelfSignedSigner(new FileCaSecretStore(state),
        SelfSignedSigner.Options.defaults("cluster.local"), Clock.systemUTC());

    Health health = new CaHealthIndicator(signer).health();

    assertThat(health.getStatus()).isEqualTo(Status.OUT_OF_SERVICE);
    assertThat(health.getDetails()).containsEntry("signer", signer.name()).containsKey("reason");
  }

  @Test
  void initializedSignerIsUpAndNamesItsSigningCertificate() {
    SelfSignedSigner signer = new SelfSignedSigner(new FileCaSecretStore(state),
        SelfSignedSigner.Options.defaults("cluster.local"), Clock.systemUTC());
    signer.initialize();

    Health health = new CaHealthIndicator(signer).health();

    assertThat(health.getStatus()).isEqualTo(Status.UP);
    assertThat(health.getDetails()).containsKeys("signingCertificate", "signingCertificateExpires", "earliestRootExpiry")
        .containsEntry("roots", 1);
  }
}
