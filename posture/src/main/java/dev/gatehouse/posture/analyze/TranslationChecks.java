package dev.gatehouse.posture.analyze;

import dev.gatehouse.model.InvalidPolicy;
import dev.gatehouse.model.Workload;
import dev.gatehouse.posture.InputProblem;
import dev.gatehouse.posture.MeshPosture;
import dev.gatehouse.xds.TranslationError;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the translation itself reported: GH0015 for policies it could not translate (or that did not parse), with the
 * fail-closed effect it applied instead; GH0016 for policies it ignores (no effect); GH0017 for input no snapshot
 * holds (a file that is not YAML, a document that is no object). Errors come from the mesh-wide translation and from
 * each proxy's own resources, so errors that depend on the workload (e.g. a CUSTOM provider) are included. Pure.
 */
final class TranslationChecks {
  private static final Pattern FROM = Pattern.compile("^(.*?) \\(from (.*)\\)$");

  private TranslationChecks() {}

  static List<Finding> check(MeshPosture mesh) {
    Map<String, TranslationError> errors = new LinkedHashMap<>();
    for (TranslationError e : mesh.translation().errors()) {
      errors.putIfAbsent(e.policy() + "\n" + e.message(), e);
    }
    for (Workload w : new TreeMap<>(mesh.snapshot().workloads()).values()) {
      for (TranslationError e : mesh.resources(w).errors()) {
        errors.putIfAbsent(e.policy() + "\n" + e.message(), e);
      }
    }
    List<Finding> out = new ArrayList<>();
    java.util.Set<String> reported = new java.util.HashSet<>();
    for (TranslationError e : errors.values()) {
      if (e.message().startsWith(MtlsModeChecks.PORT_KEY_FINDING)) {
        continue; // GH0005
      }
      String object = object(e.policy());
      reported.add(object);
      boolean noEffect = e.failClosedEffect().equals("no effect") || e.failClosedEffect().contains("ignored")
          || e.failClosedEffect().contains("has no effect");
      out.add(Finding.of(noEffect ? FindingCode.GH0016 : FindingCode.GH0015, object,
          e.message() + source(e.policy()) + (noEffect ? "" : "; instead Gatehouse " + e.failClosedEffect())));
    }
    for (InvalidPolicy p : mesh.snapshot().invalidPolicies()) {
      String object = p.meta().kind() + " " + p.key();
      if (!reported.contains(object)) {
        out.add(Finding.of(FindingCode.GH0015, object, "did not parse: " + p.reason()
            + (p.meta().source().isEmpty() ? "" : " (from " + p.meta().source() + ")")
            + "; it fails closed for what it would select"));
      }
    }
    for (InputProblem p : mesh.input().problems()) {
      out.add(Finding.of(FindingCode.GH0017, p.source(), p.problem()));
    }
    return out;
  }

  /** "AuthorizationPolicy foo/x" for "AuthorizationPolicy foo/x (from /dir/a.yaml)". */
  static String object(String policy) {
    Matcher m = FROM.matcher(policy);
    return m.matches() ? m.group(1) : policy;
  }

  private static String source(String policy) {
    Matcher m = FROM.matcher(policy);
    return m.matches() ? " (from " + m.group(2) + ")" : "";
  }
}
