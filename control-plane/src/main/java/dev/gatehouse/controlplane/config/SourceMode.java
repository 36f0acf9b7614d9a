package dev.gatehouse.controlplane.config;

/** Where Gatehouse reads the mesh from ({@code gatehouse.source}). */
public enum SourceMode {
  /** Files when a config directory is given, else Kubernetes when running in a cluster or a kubeconfig exists. */
  AUTO,
  /** A directory of Kubernetes-style YAML ({@code gatehouse.config.dir} or {@code --config-dir}). */
  FILES,
  /** The Kubernetes API server, through informers. */
  KUBERNETES
}
