package dev.gatehouse.posture.analyze;

import dev.gatehouse.posture.MeshPosture;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code gatehouse analyze}: every check over one {@link MeshPosture}. Each check is a small static function of the
 * model and the translation's output; this class only runs them in code order. Pure.
 */
public final class Analyzer {
  private Analyzer() {}

  public static Analysis analyze(MeshPosture mesh) {
    List<Finding> all = new ArrayList<>();
    all.addAll(SelectorChecks.check(mesh));
    all.addAll(MtlsModeChecks.weakerThanMesh(mesh));
    all.addAll(ReachabilityChecks.plaintextClientsToStrict(mesh));
    all.addAll(ReachabilityChecks.istioMutualToSidecarless(mesh));
    all.addAll(MtlsModeChecks.portLevelKeys(mesh));
    all.addAll(AuthorizationChecks.defaultDeny(mesh));
    all.addAll(AuthorizationChecks.negativeAllow(mesh));
    all.addAll(AuthorizationChecks.httpFieldsOnTcp(mesh));
    all.addAll(DestinationRuleChecks.tlsWithoutCa(mesh));
    all.addAll(JwksChecks.check(mesh));
    all.addAll(ProbePortChecks.check(mesh));
    all.addAll(CertificateChecks.check(mesh));
    all.addAll(TranslationChecks.check(mesh));
    all.addAll(ReachabilityChecks.meshClientsPlaintextToStrict(mesh));
    return Analysis.of(mesh.input().source(), all);
  }
}
