package dev.gatehouse.xds;

import dev.gatehouse.model.MeshConfig;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Istio's {@code exportTo} values as Services (annotation) and DestinationRules (spec field) share them: splitting a
 * list into valid and invalid entries ({@link MeshConfig#exportToProblem}), and the visibility rule itself
 * ({@code *} wins, then {@code ~}, then {@code .} for the object's own namespace and namespace names). Callers word
 * their own errors and choose their own defaults. Pure.
 */
final class ExportTo {
  private ExportTo() {}

  /** The valid entries of an exportTo list, in order, and the invalid ones quoted for an error message. */
  record Entries(Set<String> valid, List<String> bad) {}

  static Entries parse(List<String> values) {
    Set<String> valid = new LinkedHashSet<>();
    List<String> bad = new ArrayList<>();
    for (String v : values) {
      if (MeshConfig.exportToProblem(List.of(v)) == null) {
        valid.add(v);
      } else {
        bad.add("\"" + v + "\"");
      }
    }
    return new Entries(valid, bad);
  }

  /** Whether an object in {@code ownNamespace} exported to {@code exportTo} is visible in {@code clientNamespace}. */
  static boolean visible(Set<String> exportTo, String ownNamespace, String clientNamespace) {
    if (exportTo.contains(MeshConfig.EXPORT_ALL)) {
      return true;
    }
    if (exportTo.contains(MeshConfig.EXPORT_NONE)) {
      return false;
    }
    return (exportTo.contains(MeshConfig.EXPORT_OWN_NAMESPACE) && ownNamespace.equals(clientNamespace))
        || exportTo.contains(clientNamespace);
  }
}
