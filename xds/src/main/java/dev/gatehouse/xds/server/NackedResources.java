package dev.gatehouse.xds.server;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Which resources a NACK is about. A NACK rejects a whole response, and its {@code error_detail} is free text, but every
 * client here names the resource it refused (Envoy: {@code "Error adding/updating listener(s) <name>: ..."}; gRPC C-core:
 * {@code "resource index 0: <name>: ..."}; grpc-java: {@code "CDS response Cluster '<name>' validation error ..."}).
 * So: the sent resources the error text names, longest name first when one contains another; when it names none,
 * every resource of the response. Pure.
 */
public final class NackedResources {
  /** How many names a log line or a status shows before it says how many more there were. */
  public static final int SHOWN = 5;

  private NackedResources() {}

  /** The sent resources that {@code error} names, or all of {@code sent} when it names none. */
  public static List<String> culprits(String error, Collection<String> sent) {
    List<String> named = new ArrayList<>();
    if (error != null && !error.isEmpty()) {
      for (String name : sent) {
        if (!name.isEmpty() && error.contains(name)) {
          named.add(name);
        }
      }
      // "outbound|8080||a.ns.svc.cluster.local" also contains "a.ns.svc.cluster.local": keep only the longest match.
      named.removeIf(n -> named.stream().anyMatch(other -> other.length() > n.length() && other.contains(n)));
    }
    return named.isEmpty() ? List.copyOf(sent) : List.copyOf(named);
  }

  /** {@code [a, b, c]}, or {@code [a, b, c, d, e, and 7 more]} past {@link #SHOWN} names. */
  public static String describe(List<String> names) {
    if (names.size() <= SHOWN) {
      return names.toString();
    }
    List<String> shown = new ArrayList<>(names.subList(0, SHOWN));
    shown.add("and " + (names.size() - SHOWN) + " more");
    return shown.toString();
  }
}
