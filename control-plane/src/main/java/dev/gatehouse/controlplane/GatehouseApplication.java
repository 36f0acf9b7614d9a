package dev.gatehouse.controlplane;

import dev.gatehouse.controlplane.config.GatehouseCommandLine;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * Gatehouse control plane entry point. {@code --config-dir <dir>} serves a directory of Kubernetes YAML; without it,
 * Gatehouse reads the Kubernetes API when it runs in a cluster or finds a kubeconfig. Every setting is a Spring
 * property under {@code gatehouse.*} (see README.md).
 */
@SpringBootApplication
public class GatehouseApplication {
  public static void main(String[] args) {
    SpringApplication.run(GatehouseApplication.class, GatehouseCommandLine.toSpringArguments(args));
  }
}
