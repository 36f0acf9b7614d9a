package dev.gatehouse.controlplane.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class GatehouseCommandLineTest {
  @Test
  void configDirWithASpaceBecomesTheSpringProperty() {
    assertThat(GatehouseCommandLine.toSpringArguments("--config-dir", "examples", "--server.port=0"))
        .containsExactly("--gatehouse.config.dir=examples", "--server.port=0");
  }

  @Test
  void configDirWithAnEqualsSignBecomesTheSpringProperty() {
    assertThat(GatehouseCommandLine.toSpringArguments("--config-dir=/etc/mesh"))
        .containsExactly("--gatehouse.config.dir=/etc/mesh");
  }

  @Test
  void springPropertiesPassThroughUnchanged() {
    assertThat(GatehouseCommandLine.toSpringArguments("--gatehouse.config.dir=x", "--gatehouse.source=files"))
        .containsExactly("--gatehouse.config.dir=x", "--gatehouse.source=files");
  }

  @Test
  void configDirWithoutAValueIsAnError() {
    assertThatThrownBy(() -> GatehouseCommandLine.toSpringArguments("--config-dir"))
        .hasMessageContaining("--config-dir needs a directory");
    assertThatThrownBy(() -> GatehouseCommandLine.toSpringArguments("--config-dir", "--server.port=0"))
        .hasMessageContaining("--config-dir needs a directory");
  }
}
