package dev.gatehouse.controlplane;

import dev.gatehouse.controlplane.ca.TokenCommand;
import dev.gatehouse.controlplane.config.GatehouseCommandLine;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * Gatehouse control plane entry point. {@code --config-dir <dir>} serves a directory of Kubernetes YAML; without it,
 * Gatehouse reads the Kubernetes API when it runs in a cluster or finds a kubeconfig. Every setting is a Spring
 * property under {@code gatehouse.*} (see README.md).
 *
 * <p>{@code token --namespace <ns> --service-account <sa>} mints a file-mode service-account token instead of
 * starting the server (docs/ca.md).
 */
@SpringBootApplication
public class GatehouseApplication {
  public static void main(String[] args) {
    if (args.length > 0 && args[0].equals("token")) {
      TokenCommand.main(args);
      return;
    }
    SpringApplication.run(GatehouseApplication.class, GatehouseCommandLine.toSpringArguments(args));
  }
}
