package dev.gatehouse.it.cluster;

import java.util.Map;
import java.util.Objects;

/**
 * A fake pod: its identity, its own loopback IP (127.0.0.x; Linux routes all of 127/8 to lo) and, for a server, the
 * port its gRPC server binds on that IP.
 */
public record MeshPod(String namespace, String name, String serviceAccount, String ip, Map<String, String> labels, int port) {
  public MeshPod {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(serviceAccount, "serviceAccount");
    if (!ip.startsWith("127.")) {
      throw new IllegalArgumentException("fake pods live on loopback, not " + ip);
    }
    labels = Map.copyOf(labels);
  }
}
