package dev.gatehouse.model;

/** A port a pod's container declares. {@code protocol} is TCP, UDP or SCTP; {@code name} may be empty. */
public record ContainerPort(String name, int port, String protocol) {
  public ContainerPort {
    name = name == null ? "" : name;
    protocol = protocol == null || protocol.isBlank() ? "TCP" : protocol;
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("container port out of range: " + port);
    }
  }
}
