package dev.gatehouse.controlplane.config;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The addresses Gatehouse listens on, for the startup line. Every server registers itself when it is bound
 * (e.g. {@code register("grpc-secure", "127.0.0.1:15012")}); the HTTP server is registered by
 * {@link StartupReport}. Thread-safe.
 */
public final class ListeningAddresses {
  private final Map<String, String> addresses = new LinkedHashMap<>();

  public synchronized void register(String name, String address) {
    addresses.put(name, address);
  }

  public synchronized Map<String, String> all() {
    return Map.copyOf(addresses);
  }

  /** "http 127.0.0.1:15014, grpc-secure 127.0.0.1:15012", in registration order. */
  public synchronized String describe() {
    if (addresses.isEmpty()) {
      return "(nothing yet)";
    }
    StringBuilder sb = new StringBuilder();
    addresses.forEach((name, address) -> sb.append(sb.isEmpty() ? "" : ", ").append(name).append(' ').append(address));
    return sb.toString();
  }
}
