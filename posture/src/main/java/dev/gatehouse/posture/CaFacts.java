package dev.gatehouse.posture;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What is known about the workload CA: its mode, its certificates and its lifetime settings. A running Gatehouse
 * knows all of it; the CLI on a directory of manifests knows only what it is told (or reads from a state directory).
 *
 * @param mode the CA mode in effect ({@code self-signed}, {@code plugged}, {@code vault}, {@code spire}), or
 *     {@code unknown}
 * @param source where these facts come from, in words
 * @param roots the trust bundle workloads receive
 * @param intermediates the certificates between the roots and workload certificates (signing chain without its root)
 * @param defaultWorkloadCertTtl the lifetime of a workload certificate when the agent asks for none
 * @param maxWorkloadCertTtl the longest lifetime the CA grants
 * @param workloadRotation how workload certificates are renewed, in words
 * @param rootRotation how the root is rotated, in words
 */
public record CaFacts(
    String mode,
    String source,
    List<X509Certificate> roots,
    List<X509Certificate> intermediates,
    Optional<Duration> defaultWorkloadCertTtl,
    Optional<Duration> maxWorkloadCertTtl,
    String workloadRotation,
    String rootRotation) {

  /** Istio's agent renews a workload certificate when half of its lifetime is left (SECRET_GRACE_PERIOD_RATIO). */
  public static final String AGENT_ROTATION = "renewed by the pod's agent at half of its lifetime";

  public CaFacts {
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(source, "source");
    roots = List.copyOf(roots);
    intermediates = List.copyOf(intermediates);
    Objects.requireNonNull(defaultWorkloadCertTtl, "defaultWorkloadCertTtl");
    Objects.requireNonNull(maxWorkloadCertTtl, "maxWorkloadCertTtl");
    workloadRotation = workloadRotation == null ? "" : workloadRotation;
    rootRotation = rootRotation == null ? "" : rootRotation;
  }

  /** Nothing known, and why. */
  public static CaFacts unknown(String why) {
    return new CaFacts("unknown", why, List.of(), List.of(), Optional.empty(), Optional.empty(), "", "");
  }
}
