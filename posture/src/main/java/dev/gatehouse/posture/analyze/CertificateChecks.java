package dev.gatehouse.posture.analyze;

import dev.gatehouse.posture.CaFacts;
import dev.gatehouse.posture.Durations;
import dev.gatehouse.posture.MeshPosture;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The CA's lifetimes, from what is known about it ({@link CaFacts}): GH0013 when the default workload certificate
 * lifetime exceeds 24 h (a stolen key stays useful longer; Istio's default is 24 h), GH0014 when a root or
 * intermediate expires within 30 days or has expired (every workload certificate chained to it stops verifying).
 * Pure: measured against the input's {@code now}.
 */
final class CertificateChecks {
  static final Duration MAX_WORKLOAD_TTL = Duration.ofHours(24);
  static final Duration EXPIRY_WARNING = Duration.ofDays(30);

  private CertificateChecks() {}

  static List<Finding> check(MeshPosture mesh) {
    CaFacts ca = mesh.input().ca();
    Instant now = mesh.input().now();
    List<Finding> out = new ArrayList<>();
    ca.defaultWorkloadCertTtl().filter(ttl -> ttl.compareTo(MAX_WORKLOAD_TTL) > 0).ifPresent(ttl ->
        out.add(Finding.of(FindingCode.GH0013, "CA " + ca.mode(), "workload certificates live "
            + Durations.format(ttl) + " when the agent asks for no lifetime (more than 24h; from " + ca.source()
            + ")")));
    expiring(ca.roots(), "root", now, out);
    expiring(ca.intermediates(), "intermediate", now, out);
    return out;
  }

  private static void expiring(List<X509Certificate> certs, String role, Instant now, List<Finding> out) {
    for (X509Certificate c : certs) {
      Instant notAfter = c.getNotAfter().toInstant();
      Duration left = Duration.between(now, notAfter);
      if (left.compareTo(EXPIRY_WARNING) >= 0) {
        continue;
      }
      String object = role + " certificate " + c.getSubjectX500Principal().getName() + " (serial "
          + c.getSerialNumber().toString(16) + ")";
      out.add(Finding.of(FindingCode.GH0014, object, left.isNegative()
          ? "expired on " + notAfter + ": workload certificates chained to it no longer verify"
          : "expires on " + notAfter + " (in " + Durations.format(Duration.ofSeconds(left.getSeconds() / 60 * 60))
              + "): workload certificates chained to it stop verifying then"));
    }
  }
}
