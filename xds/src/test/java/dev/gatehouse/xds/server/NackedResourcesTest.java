package dev.gatehouse.xds.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class NackedResourcesTest {
  private static final List<String> SENT = List.of(
      "outbound|8080||echo.shop.svc.cluster.local", "outbound|9090||echo.shop.svc.cluster.local",
      "echo.shop.svc.cluster.local");

  @Test
  void errorNamingOneResourceBlamesOnlyIt() {
    assertThat(NackedResources.culprits(
        "CDS response Cluster 'outbound|9090||echo.shop.svc.cluster.local' validation error: bad", SENT))
        .containsExactly("outbound|9090||echo.shop.svc.cluster.local");
  }

  @Test
  void aNameInsideALongerNamedOneIsNotBlamedToo() {
    assertThat(NackedResources.culprits("resource outbound|8080||echo.shop.svc.cluster.local: no", SENT))
        .containsExactly("outbound|8080||echo.shop.svc.cluster.local");
  }

  @Test
  void errorNamingNoResourceBlamesTheWholeResponse() {
    assertThat(NackedResources.culprits("something went wrong", SENT)).isEqualTo(SENT);
    assertThat(NackedResources.culprits("", SENT)).isEqualTo(SENT);
  }

  @Test
  void longListsAreShortenedWithACount() {
    assertThat(NackedResources.describe(List.of("a", "b"))).isEqualTo("[a, b]");
    assertThat(NackedResources.describe(List.of("a", "b", "c", "d", "e", "f", "g")))
        .isEqualTo("[a, b, c, d, e, and 2 more]");
  }

  @Test
  void errLabelIsTheGoCodeNameAndBounded() {
    assertThat(nack(3).errLabel()).isEqualTo("InvalidArgument");
    assertThat(nack(13).errLabel()).isEqualTo("Internal");
    assertThat(nack(0).errLabel()).isEqualTo("OK");
    assertThat(nack(17).errLabel()).isEqualTo("Unrecognized");
    assertThat(nack(-1).errLabel()).isEqualTo("Unrecognized");
  }

  private static Nack nack(int code) {
    return new Nack("type", "v1", code, "e", List.of(), Instant.EPOCH);
  }
}
