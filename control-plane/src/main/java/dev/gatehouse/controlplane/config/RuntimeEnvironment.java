package dev.gatehouse.controlplane.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * What Gatehouse can tell about the machine it runs on: whether it runs inside a Kubernetes pod and whether a
 * kubeconfig is available. Only the source selection and the bind-address defaults depend on it.
 *
 * @param inCluster {@code KUBERNETES_SERVICE_HOST} is set and the pod's service-account token is mounted
 * @param kubeconfig the kubeconfig fabric8 would use ({@code KUBECONFIG}, else {@code ~/.kube/config}), if it exists
 */
public record RuntimeEnvironment(boolean inCluster, Optional<Path> kubeconfig) {
  static final Path SERVICE_ACCOUNT_TOKEN = Path.of("/var/run/secrets/kubernetes.io/serviceaccount/token");

  public static RuntimeEnvironment detect() {
    return detect(System.getenv(), Path.of(System.getProperty("user.home", ".")), SERVICE_ACCOUNT_TOKEN);
  }

  static RuntimeEnvironment detect(Map<String, String> env, Path home, Path serviceAccountToken) {
    String host = env.get("KUBERNETES_SERVICE_HOST");
    boolean inCluster = host != null && !host.isBlank() && Files.exists(serviceAccountToken);
    Optional<Path> kubeconfig = Optional.empty();
    String fromEnv = env.get("KUBECONFIG");
    if (fromEnv != null && !fromEnv.isBlank()) {
      // KUBECONFIG may list several files; kubectl merges them, fabric8 uses the first.
      for (String p : fromEnv.split(java.io.File.pathSeparator)) {
        if (!p.isBlank() && Files.isRegularFile(Path.of(p))) {
          kubeconfig = Optional.of(Path.of(p));
          break;
        }
      }
    } else if (Files.isRegularFile(home.resolve(".kube/config"))) {
      kubeconfig = Optional.of(home.resolve(".kube/config"));
    }
    return new RuntimeEnvironment(inCluster, kubeconfig);
  }

  /** Servers bind to all interfaces only inside a pod; anywhere else they stay on loopback. */
  public String defaultBindAddress() {
    return inCluster ? "0.0.0.0" : "127.0.0.1";
  }
}
