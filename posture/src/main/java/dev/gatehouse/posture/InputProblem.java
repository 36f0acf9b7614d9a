package dev.gatehouse.posture;

import java.util.Objects;

/**
 * Input that could not be used at all (a file that is not YAML, a document that is no Kubernetes object): it is in
 * no snapshot, so nothing else in the analysis can see it.
 *
 * @param source the file or object, as the config source names it
 * @param problem why it was skipped
 */
public record InputProblem(String source, String problem) {
  public InputProblem {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(problem, "problem");
  }
}
