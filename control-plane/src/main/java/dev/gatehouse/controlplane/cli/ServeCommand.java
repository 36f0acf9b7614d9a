package dev.gatehouse.controlplane.cli;

import dev.gatehouse.controlplane.GatehouseApplication;
import dev.gatehouse.controlplane.config.GatehouseCommandLine;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.springframework.boot.SpringApplication;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Unmatched;

/**
 * {@code serve}: runs the control plane. Every argument other than {@code --config-dir} is a Spring argument
 * ({@code --server.port=15014}, {@code --gatehouse.trust-domain=example.org}), passed through unchanged.
 */
@Command(
    name = ServeCommand.NAME,
    mixinStandardHelpOptions = true,
    description = {
      "Runs the Gatehouse control plane (the default command).",
      "Reads a directory of Kubernetes YAML (--config-dir), or the Kubernetes API in a cluster or with a kubeconfig.",
      "Any other argument is a Spring property, e.g. --server.port=15014 --gatehouse.trust-domain=example.org."
    })
public final class ServeCommand implements Callable<Integer> {
  public static final String NAME = "serve";
  /** The exit code of a server that is up: main() must not exit, the application's threads keep running. */
  public static final int SERVING = -1;

  @Option(names = "--config-dir", paramLabel = "DIR", description = "serve this directory of manifests (file mode)")
  String configDir;

  @Unmatched
  List<String> springArguments = new ArrayList<>();

  @Override
  public Integer call() {
    List<String> args = new ArrayList<>();
    if (configDir != null) {
      args.add("--config-dir=" + configDir);
    }
    args.addAll(springArguments);
    SpringApplication.run(GatehouseApplication.class,
        GatehouseCommandLine.toSpringArguments(args.toArray(String[]::new)));
    return SERVING;
  }
}
