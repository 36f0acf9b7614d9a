package dev.gatehouse.controlplane.config;

import dev.gatehouse.controlplane.health.ConfigSourceHealthIndicator;
import dev.gatehouse.controlplane.health.ConfigSyncHealthIndicator;
import dev.gatehouse.controlplane.source.ConfigInputErrors;
import dev.gatehouse.controlplane.source.ConfigSource;
import dev.gatehouse.controlplane.source.FileConfigSource;
import dev.gatehouse.controlplane.source.KubernetesConfigSource;
import dev.gatehouse.controlplane.source.MeshConfigStream;
import dev.gatehouse.model.parse.KubernetesObjectParser;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;

/** Wires the config source chosen at startup, the change stream, and their health and startup report. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(GatehouseProperties.class)
public class ConfigSourceConfiguration {

  @Bean
  RuntimeEnvironment runtimeEnvironment() {
    return RuntimeEnvironment.detect();
  }

  @Bean
  SourceSelection sourceSelection(GatehouseProperties props, RuntimeEnvironment env) {
    return SourceSelection.resolve(props, env);
  }

  @Bean
  KubernetesObjectParser kubernetesObjectParser(GatehouseProperties props) {
    return new KubernetesObjectParser(props.meshConfig());
  }

  @Bean
  ConfigInputErrors configInputErrors(MeterRegistry registry) {
    return new ConfigInputErrors(registry);
  }

  @Bean(destroyMethod = "close")
  MeshConfigStream meshConfigStream(GatehouseProperties props, ConfigInputErrors errors, MeterRegistry registry) {
    return new MeshConfigStream(
        props.meshConfig(), props.debounce().quietPeriod(), props.debounce().maxDelay(), errors, registry);
  }

  /** Only in Kubernetes mode; configured like kubectl (in-cluster service account, else KUBECONFIG/~/.kube/config). */
  @Bean(destroyMethod = "close")
  @Conditional(KubernetesSourceCondition.class)
  @ConditionalOnMissingBean
  KubernetesClient kubernetesClient() {
    return new KubernetesClientBuilder().build();
  }

  @Bean(initMethod = "start", destroyMethod = "close")
  ConfigSource configSource(
      SourceSelection selection,
      GatehouseProperties props,
      KubernetesObjectParser parser,
      MeshConfigStream stream,
      ConfigInputErrors errors,
      ObjectProvider<KubernetesClient> kubernetesClient) {
    return switch (selection.mode()) {
      case FILES ->
          new FileConfigSource(
              selection.configDir().orElseThrow(), parser, stream, errors, props.config().rescanInterval());
      case KUBERNETES ->
          new KubernetesConfigSource(
              kubernetesClient.getObject(),
              parser,
              stream,
              errors,
              props.kubernetes().istioApiVersion(),
              props.kubernetes().networkingApiVersion(),
              props.kubernetes().resync());
      case AUTO -> throw new IllegalStateException("SourceSelection never yields AUTO");
    };
  }

  @Bean
  ListeningAddresses listeningAddresses() {
    return new ListeningAddresses();
  }

  @Bean
  StartupReport startupReport(ConfigSource source, MeshConfigStream stream, ListeningAddresses addresses) {
    return new StartupReport(source, stream, addresses);
  }

  /** Health component "configSync", in the readiness group. */
  @Bean
  ConfigSyncHealthIndicator configSyncHealthIndicator(MeshConfigStream stream, ConfigSource source) {
    return new ConfigSyncHealthIndicator(stream, source);
  }

  /** Health component "configSource". */
  @Bean
  ConfigSourceHealthIndicator configSourceHealthIndicator(ConfigSource source, MeshConfigStream stream) {
    return new ConfigSourceHealthIndicator(source, stream);
  }
}
