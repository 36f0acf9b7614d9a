package dev.gatehouse.model;

import java.util.Map;

/** Equality-based label selection, as Kubernetes matchLabels and Istio WorkloadSelector define it. */
public final class LabelSelector {
  private LabelSelector() {}

  /** True when every selector entry is present in {@code labels}. An empty selector matches everything. */
  public static boolean matches(Map<String, String> selector, Map<String, String> labels) {
    for (Map.Entry<String, String> e : selector.entrySet()) {
      if (!e.getValue().equals(labels.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  /** Service semantics: an empty selector selects no pods (its endpoints are managed by hand). */
  public static boolean serviceSelects(Map<String, String> serviceSelector, Map<String, String> podLabels) {
    return !serviceSelector.isEmpty() && matches(serviceSelector, podLabels);
  }
}
