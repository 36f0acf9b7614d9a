package dev.gatehouse.controlplane.ca;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.ca.crypto.CaCrypto;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/** {@code gatehouse.ca.crypto-provider} as Spring binds it, the provider it selects, and the metric that names it. */
class CaCryptoProviderTest {
  private static CaProperties bindCa(Map<String, String> properties) {
    return new Binder(new MapConfigurationPropertySource(properties)).bindOrCreate("gatehouse.ca", CaProperties.class);
  }

  @AfterEach
  void restoreTheProcessDefault() {
    CaCrypto.use(CaCrypto.Preference.AUTO);
  }

  @Test
  void defaultIsAutoAndEverySpellingBinds() {
    assertThat(bindCa(Map.of()).cryptoProvider()).isEqualTo(CaCrypto.Preference.AUTO);
    assertThat(bindCa(Map.of("gatehouse.ca.crypto-provider", "native")).cryptoProvider()).isEqualTo(CaCrypto.Preference.NATIVE);
    assertThat(bindCa(Map.of("gatehouse.ca.cryptoProvider", "jdk")).cryptoProvider()).isEqualTo(CaCrypto.Preference.JDK);
  }

  @Test
  void jdkSettingMakesTheJdkTheProcessProviderAndTheMetricSaysSo() {
    CaCrypto crypto = new CaConfiguration().caCrypto(bindCa(Map.of("gatehouse.ca.crypto-provider", "jdk")));

    assertThat(crypto.isNative()).isFalse();
    assertThat(CaCrypto.active()).isSameAs(crypto);
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    new MicrometerCaMetrics(registry, null, java.time.Clock.systemUTC()).cryptoProvider(crypto);
    Gauge gauge = registry.get("gatehouse_ca_crypto_provider").gauge();
    assertThat(gauge.getId().getTag("native")).isEqualTo("false");
    assertThat(gauge.getId().getTag("provider")).isEqualTo(crypto.providerName()).isNotEqualTo("AmazonCorrettoCryptoProvider");
    assertThat(gauge.value()).isEqualTo(1.0);
  }
}
