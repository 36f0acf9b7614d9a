package dev.gatehouse.controlplane.config;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The config source Gatehouse will use, decided once at startup from {@code gatehouse.source},
 * {@code gatehouse.config.dir} and the {@link RuntimeEnvironment}.
 *
 * @param mode {@link SourceMode#FILES} or {@link SourceMode#KUBERNETES}, never AUTO
 * @param configDir the directory in file mode
 */
public record SourceSelection(SourceMode mode, Optional<Path> configDir) {

  /**
   * {@code auto}: files when a config directory is given, else Kubernetes when in a cluster or a kubeconfig
   * exists.
   *
   * @throws IllegalStateException when no source can be chosen, with what to do about it
   */
  public static SourceSelection resolve(SourceMode requested, Path configDir, RuntimeEnvironment env) {
    SourceMode mode = requested == null ? SourceMode.AUTO : requested;
    switch (mode) {
      case FILES -> {
        if (configDir == null) {
          throw new IllegalStateException(
              "gatehouse.source=files needs a directory: pass --config-dir <dir> (or gatehouse.config.dir)");
        }
        return new SourceSelection(SourceMode.FILES, Optional.of(configDir));
      }
      case KUBERNETES -> {
        return new SourceSelection(SourceMode.KUBERNETES, Optional.empty());
      }
      default -> {
        if (configDir != null) {
          return new SourceSelection(SourceMode.FILES, Optional.of(configDir));
        }
        if (env.inCluster() || env.kubeconfig().isPresent()) {
          return new SourceSelection(SourceMode.KUBERNETES, Optional.empty());
        }
        throw new IllegalStateException(
            "No config source: pass --config-dir <dir> to serve a directory of Kubernetes YAML (try --config-dir"
                + " examples), or run in a cluster / with a kubeconfig for the Kubernetes source");
      }
    }
  }

  public static SourceSelection resolve(GatehouseProperties props, RuntimeEnvironment env) {
    return resolve(props.source(), props.config().dirPath().orElse(null), env);
  }
}
