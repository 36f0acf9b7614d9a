package dev.gatehouse.xds;

import dev.gatehouse.model.MeshConfig;
import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.model.ObjectKey;
import dev.gatehouse.model.ServiceInfo;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which namespaces see a Service (Istio's service visibility, {@code PushContext.IsServiceVisible}): the Service's
 * {@code networking.istio.io/exportTo} annotation (comma-separated: {@code *} every namespace, {@code .} its own,
 * {@code ~} none, or namespace names), else MeshConfig {@code defaultServiceExportTo}. An explicit {@code *} wins over
 * everything else, then {@code ~}. For the mesh default Istio only looks at {@code .} (then {@code *}): a default made
 * only of namespace names or {@code ~} leaves unannotated services visible nowhere, and a default of {@code .} plus
 * names means own namespace only.
 *
 * <p>An annotation value that is not one of these (an empty entry, a name that is not an RFC 1123 label, {@code ~}
 * mixed with other values) is reported as a {@link TranslationError}; its valid entries still apply, and when none is
 * valid the Service is visible in its own namespace only (neither silently mesh-wide nor lost to its own namespace).
 * Pure; immutable; built once per snapshot.
 */
public final class ServiceVisibility {
  public static final String EXPORT_TO_ANNOTATION = "networking.istio.io/exportTo";

  private final Map<ObjectKey, Set<String>> explicit = new HashMap<>();
  /** The Services with an exportTo annotation, sorted by key. */
  private final List<ServiceInfo> annotated = new ArrayList<>();
  private final boolean defaultPrivate;
  private final boolean defaultPublic;
  private final boolean allPublic;
  private final List<TranslationError> errors;

  public ServiceVisibility(MeshSnapshot snapshot) {
    List<String> defaults = snapshot.mesh().defaultServiceExportTo();
    this.defaultPrivate = defaults.contains(MeshConfig.EXPORT_OWN_NAMESPACE);
    this.defaultPublic = !defaultPrivate && defaults.contains(MeshConfig.EXPORT_ALL);
    List<TranslationError> errs = new ArrayList<>();
    boolean everyone = defaultPublic;
    for (ServiceInfo s : snapshot.services().values()) {
      String value = s.meta().annotations().get(EXPORT_TO_ANNOTATION);
      if (value == null) {
        continue;
      }
      List<String> entries = new ArrayList<>();
      for (String raw : value.split(",", -1)) {
        entries.add(raw.trim());
      }
      ExportTo.Entries parsed = ExportTo.parse(entries);
      Set<String> valid = parsed.valid();
      List<String> bad = parsed.bad();
      String subject = "Service " + s.key();
      if (valid.contains(MeshConfig.EXPORT_NONE) && valid.size() > 1 && !valid.contains(MeshConfig.EXPORT_ALL)) {
        errs.add(new TranslationError(subject,
            EXPORT_TO_ANNOTATION + " \"" + value + "\": \"~\" (export nowhere) cannot be combined with other values",
            "the service is visible nowhere (\"~\" wins, as in Istio)"));
      }
      if (valid.isEmpty()) {
        errs.add(new TranslationError(subject,
            EXPORT_TO_ANNOTATION + " \"" + value + "\" has no valid value (\"*\", \".\", \"~\" or namespace names)",
            "the service is visible in its own namespace only until the annotation is fixed"));
        valid.add(MeshConfig.EXPORT_OWN_NAMESPACE);
      } else if (!bad.isEmpty()) {
        errs.add(new TranslationError(subject,
            EXPORT_TO_ANNOTATION + " \"" + value + "\": " + String.join(", ", bad)
                + " is not \"*\", \".\", \"~\" or a namespace name",
            "ignored; the valid values " + valid + " apply"));
      }
      explicit.put(s.key(), Set.copyOf(valid));
      annotated.add(s);
      everyone &= valid.contains(MeshConfig.EXPORT_ALL);
    }
    errs.sort(Comparator.comparing(TranslationError::policy).thenComparing(TranslationError::message));
    this.errors = List.copyOf(errs);
    this.allPublic = everyone;
  }

  /** True when every Service is visible in every namespace (nothing to filter). */
  public boolean everythingVisible() {
    return allPublic;
  }

  /** Whether proxies in {@code namespace} see {@code service}. */
  public boolean visible(ServiceInfo service, String namespace) {
    Set<String> exportTo = explicit.get(service.key());
    String own = service.namespace();
    if (exportTo == null) {
      if (defaultPrivate) {
        return own.equals(namespace);
      }
      return defaultPublic;
    }
    return ExportTo.visible(exportTo, own, namespace);
  }

  /**
   * The Services proxies in {@code namespace} may see, sorted by key, without visiting the others: every Service
   * when the default exports to all; otherwise the namespace's own (when the default is {@code .}) and the
   * annotated ones. {@link #visible} still decides for each of them.
   */
  public java.util.Collection<ServiceInfo> candidates(MeshSnapshot snapshot, String namespace) {
    if (defaultPublic) {
      return snapshot.services().values();
    }
    List<ServiceInfo> own = defaultPrivate ? snapshot.servicesInNamespace(namespace) : List.of();
    if (annotated.isEmpty()) {
      return own;
    }
    java.util.TreeMap<ObjectKey, ServiceInfo> merged = new java.util.TreeMap<>();
    own.forEach(x -> merged.put(x.key(), x));
    annotated.forEach(x -> merged.put(x.key(), x));
    return merged.values();
  }

  /** Invalid annotations, sorted by service. */
  public List<TranslationError> errors() {
    return errors;
  }
}
