package dev.gatehouse.it.workload;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the calling application saw for one call: OK with the server's answer and the server certificate the client
 * saw, or the gRPC status code.
 *
 * @param ok whether the call succeeded
 * @param code {@code OK} or the status code name, e.g. {@code PERMISSION_DENIED}
 * @param fields {@code key=value} pairs of an OK answer (pod, method, peer, peerSerial, server, serverSerial)
 * @param raw the whole line
 */
public record CallResult(boolean ok, String code, Map<String, String> fields, String raw) {
  public static CallResult parse(String line) {
    if (line.startsWith("OK ")) {
      Map<String, String> fields = new LinkedHashMap<>();
      for (String part : line.substring(3).split(" ")) {
        int eq = part.indexOf('=');
        if (eq > 0) {
          fields.put(part.substring(0, eq), part.substring(eq + 1));
        }
      }
      return new CallResult(true, "OK", Map.copyOf(fields), line);
    }
    String[] parts = line.split(" ", 3);
    return new CallResult(false, parts.length > 1 ? parts[1] : "UNKNOWN", Map.of(), line);
  }

  /** The SPIFFE ID the server saw for the caller, or {@code none} for a plaintext call. */
  public String peerSeenByServer() {
    return fields.getOrDefault("peer", "");
  }

  public String peerSerialSeenByServer() {
    return fields.getOrDefault("peerSerial", "");
  }

  public String pod() {
    return fields.getOrDefault("pod", "");
  }

  @Override
  public String toString() {
    return raw;
  }
}
