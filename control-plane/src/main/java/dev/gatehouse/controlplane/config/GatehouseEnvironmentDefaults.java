package dev.gatehouse.controlplane.config;

import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.env.DefaultPropertiesPropertySource;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;

/**
 * Lowest-precedence defaults that depend on where Gatehouse runs: servers bind to loopback unless Gatehouse runs in a
 * pod, and the control-plane namespace comes from {@code POD_NAMESPACE}. Anything set explicitly (arguments,
 * environment, application.yaml) wins. Also maps a plain {@code config-dir} property ({@code --config-dir=<dir>} when
 * the application is started without {@link GatehouseCommandLine}, e.g. by {@code spring-boot:run}) to
 * {@code gatehouse.config.dir}.
 */
public final class GatehouseEnvironmentDefaults implements EnvironmentPostProcessor, Ordered {

  @Override
  public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
    RuntimeEnvironment runtime = RuntimeEnvironment.detect();
    Map<String, Object> defaults = new LinkedHashMap<>();
    String bind = runtime.defaultBindAddress();
    defaults.put("server.address", bind);
    defaults.put("gatehouse.grpc.address", bind);
    defaults.put("gatehouse.grpc.plaintext-address", bind);
    String podNamespace = environment.getProperty("POD_NAMESPACE");
    if (podNamespace != null && !podNamespace.isBlank()) {
      defaults.put("gatehouse.namespace", podNamespace);
    }
    String configDir = environment.getProperty("config-dir");
    if (configDir != null && !configDir.isBlank()) {
      defaults.put("gatehouse.config.dir", configDir);
    }
    DefaultPropertiesPropertySource.addOrMerge(defaults, environment.getPropertySources());
  }

  @Override
  public int getOrder() {
    return Ordered.LOWEST_PRECEDENCE;
  }
}
