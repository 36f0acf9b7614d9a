package dev.gatehouse.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class MeshConfigTest {
  @Test
  void defaultServiceExportToDefaultsToEverywhere() {
    assertThat(MeshConfig.defaults().defaultServiceExportTo()).containsExactly("*");
    assertThat(MeshConfig.defaults().withDefaultServiceExportTo(null).defaultServiceExportTo()).containsExactly("*");
    assertThat(MeshConfig.defaults().withDefaultServiceExportTo(List.of()).defaultServiceExportTo())
        .containsExactly("*");
  }

  @Test
  void defaultDestinationRuleExportToIsValidatedTheSameWay() {
    assertThat(MeshConfig.defaults().defaultDestinationRuleExportTo()).containsExactly("*");
    MeshConfig scoped = MeshConfig.defaults().withDefaultServiceExportTo(List.of("."))
        .withDefaultDestinationRuleExportTo(List.of("."));
    assertThat(scoped.defaultServiceExportTo()).containsExactly(".");
    assertThat(scoped.defaultDestinationRuleExportTo()).containsExactly(".");
    assertThatThrownBy(() -> MeshConfig.defaults().withDefaultDestinationRuleExportTo(List.of("a b")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("defaultDestinationRuleExportTo");
  }

  @Test
  void acceptsIstioValuesAndNamespaceNames() {
    assertThat(MeshConfig.defaults().withDefaultServiceExportTo(List.of(".")).defaultServiceExportTo())
        .containsExactly(".");
    assertThat(MeshConfig.defaults().withDefaultServiceExportTo(List.of(".", "istio-system")).defaultServiceExportTo())
        .containsExactly(".", "istio-system");
    assertThat(MeshConfig.exportToProblem(List.of("~"))).isNull();
  }

  @Test
  void rejectsWhatIsNotAnExportToValueInsteadOfReadingItAsEverywhere() {
    assertThatThrownBy(() -> MeshConfig.defaults().withDefaultServiceExportTo(List.of("Not_A_Namespace")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("defaultServiceExportTo")
        .hasMessageContaining("Not_A_Namespace");
    assertThatThrownBy(() -> MeshConfig.defaults().withDefaultServiceExportTo(List.of("~", ".")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cannot be combined");
    assertThatThrownBy(() -> MeshConfig.defaults().withDefaultServiceExportTo(List.of("")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> MeshConfig.defaults().withDefaultServiceExportTo(Arrays.asList((String) null)))
        .isInstanceOf(RuntimeException.class);
  }
}
