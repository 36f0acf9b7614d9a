package dev.gatehouse.posture.analyze;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The result of {@code gatehouse analyze}: findings sorted by severity, code and object, with counts.
 *
 * @param source where the mesh was read from
 * @param counts findings per severity ({@code error}, {@code warning}, {@code info}), every severity present
 */
public record Analysis(String source, Map<String, Integer> counts, List<Finding> findings) {
  private static final Comparator<Finding> ORDER = Comparator.comparing(Finding::severity)
      .thenComparing(Finding::code).thenComparing(Finding::object).thenComparing(Finding::message);

  public Analysis {
    Objects.requireNonNull(source, "source");
    counts = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(counts));
    findings = List.copyOf(findings);
  }

  public static Analysis of(String source, List<Finding> findings) {
    List<Finding> sorted = new ArrayList<>(findings.stream().distinct().toList());
    sorted.sort(ORDER);
    Map<String, Integer> counts = new LinkedHashMap<>();
    for (Severity s : Severity.values()) {
      counts.put(s.label(), (int) sorted.stream().filter(f -> f.severity() == s).count());
    }
    return new Analysis(source, counts, sorted);
  }

  /** Whether any finding is at least as severe as {@code threshold} ({@code --fail-on}). */
  public boolean failsAt(Severity threshold) {
    return findings.stream().anyMatch(f -> f.severity().atLeast(threshold));
  }

  public List<Finding> withCode(String code) {
    return findings.stream().filter(f -> f.code().equals(code)).toList();
  }
}
