package dev.gatehouse.controlplane.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SourceSelectionTest {
  private static final RuntimeEnvironment LAPTOP = new RuntimeEnvironment(false, Optional.empty());
  private static final RuntimeEnvironment POD = new RuntimeEnvironment(true, Optional.empty());
  private static final RuntimeEnvironment WITH_KUBECONFIG =
      new RuntimeEnvironment(false, Optional.of(Path.of("/home/dev/.kube/config")));

  @TempDir Path tmp;

  @Test
  void autoPrefersAGivenConfigDirEvenInACluster() {
    assertThat(SourceSelection.resolve(SourceMode.AUTO, Path.of("examples"), POD))
        .isEqualTo(new SourceSelection(SourceMode.FILES, Optional.of(Path.of("examples"))));
  }

  @Test
  void autoUsesKubernetesInAPodOrWithAKubeconfig() {
    assertThat(SourceSelection.resolve(SourceMode.AUTO, null, POD).mode()).isEqualTo(SourceMode.KUBERNETES);
    assertThat(SourceSelection.resolve(SourceMode.AUTO, null, WITH_KUBECONFIG).mode())
        .isEqualTo(SourceMode.KUBERNETES);
  }

  @Test
  void autoWithNothingToReadSaysWhatToDo() {
    assertThatThrownBy(() -> SourceSelection.resolve(SourceMode.AUTO, null, LAPTOP))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("--config-dir");
  }

  @Test
  void explicitModesWin() {
    assertThat(SourceSelection.resolve(SourceMode.KUBERNETES, Path.of("examples"), LAPTOP).mode())
        .isEqualTo(SourceMode.KUBERNETES);
    assertThatThrownBy(() -> SourceSelection.resolve(SourceMode.FILES, null, POD))
        .hasMessageContaining("needs a directory");
  }

  @Test
  void runtimeEnvironmentNeedsBothTheServiceHostAndTheTokenToBeInACluster() throws IOException {
    Path token = Files.writeString(tmp.resolve("token"), "t");
    Path noToken = tmp.resolve("absent");

    assertThat(RuntimeEnvironment.detect(Map.of("KUBERNETES_SERVICE_HOST", "127.0.0.1"), tmp, token).inCluster())
        .isTrue();
    assertThat(RuntimeEnvironment.detect(Map.of("KUBERNETES_SERVICE_HOST", "127.0.0.1"), tmp, noToken).inCluster())
        .isFalse();
    assertThat(RuntimeEnvironment.detect(Map.of(), tmp, token).inCluster()).isFalse();
    assertThat(RuntimeEnvironment.detect(Map.of(), tmp, token).defaultBindAddress()).isEqualTo("127.0.0.1");
  }

  @Test
  void kubeconfigComesFromKubeconfigVariableOrHome() throws IOException {
    Path custom = Files.writeString(tmp.resolve("custom-config"), "apiVersion: v1");
    assertThat(RuntimeEnvironment.detect(Map.of("KUBECONFIG", custom.toString()), tmp, tmp.resolve("x")).kubeconfig())
        .contains(custom);
    assertThat(RuntimeEnvironment.detect(Map.of(), tmp, tmp.resolve("x")).kubeconfig()).isEmpty();

    Files.createDirectories(tmp.resolve(".kube"));
    Path home = Files.writeString(tmp.resolve(".kube/config"), "apiVersion: v1");
    assertThat(RuntimeEnvironment.detect(Map.of(), tmp, tmp.resolve("x")).kubeconfig()).contains(home);
  }
}
