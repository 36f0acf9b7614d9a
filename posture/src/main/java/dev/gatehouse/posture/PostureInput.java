package dev.gatehouse.posture;

import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.xds.ProxyConfigGenerator;
import dev.gatehouse.xds.TranslationOptions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Everything an analysis reads: the mesh snapshot, the translation options in effect, what the CA and the
 * {@code jwksUri} endpoints look like, and the input that could not be used. I/O happened before (the CLI read files
 * or a cluster, a running Gatehouse hands over its current state); the analysis itself is pure.
 *
 * @param sentConfig where the resources each proxy receives come from: a running Gatehouse passes what its xDS
 *     server serves; empty means "translate the snapshot with {@code options}", the same translation the server runs
 * @param jwks fresh fetches of the snapshot's jwksUris, by URI; empty when none were made (e.g. {@code --offline})
 * @param source where the mesh was read from, in words
 * @param now the instant certificate lifetimes are measured against
 */
public record PostureInput(
    MeshSnapshot snapshot,
    TranslationOptions options,
    Optional<ProxyConfigGenerator> sentConfig,
    CaFacts ca,
    Map<String, JwksFetch> jwks,
    List<InputProblem> problems,
    String source,
    Instant now) {

  public PostureInput {
    Objects.requireNonNull(snapshot, "snapshot");
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(sentConfig, "sentConfig");
    Objects.requireNonNull(ca, "ca");
    jwks = java.util.Collections.unmodifiableMap(new TreeMap<>(jwks));
    problems = List.copyOf(problems);
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(now, "now");
  }

  /** A snapshot translated here, with nothing known about the CA or the JWKS endpoints. */
  public static PostureInput of(MeshSnapshot snapshot, TranslationOptions options, String source, Instant now) {
    return new PostureInput(snapshot, options, Optional.empty(), CaFacts.unknown("not known"), Map.of(), List.of(),
        source, now);
  }

  public PostureInput withCa(CaFacts facts) {
    return new PostureInput(snapshot, options, sentConfig, facts, jwks, problems, source, now);
  }

  public PostureInput withJwks(Map<String, JwksFetch> fetches) {
    return new PostureInput(snapshot, options, sentConfig, ca, fetches, problems, source, now);
  }

  public PostureInput withProblems(List<InputProblem> list) {
    return new PostureInput(snapshot, options, sentConfig, ca, jwks, list, source, now);
  }

  public PostureInput withSentConfig(ProxyConfigGenerator generator) {
    return new PostureInput(snapshot, options, Optional.of(generator), ca, jwks, problems, source, now);
  }
}
