package dev.gatehouse.posture.analyze;

import dev.gatehouse.api.istio.security.v1beta1.PeerAuthentication;
import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.model.MtlsMode;
import dev.gatehouse.model.Policy;
import dev.gatehouse.model.Workload;
import dev.gatehouse.posture.MeshPosture;
import dev.gatehouse.xds.EffectiveMtls;
import dev.gatehouse.xds.PeerAuthenticationResolver;
import dev.gatehouse.xds.TranslationError;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * GH0002: a namespace, workload or port whose PeerAuthentication weakens a mesh-wide STRICT (PERMISSIVE: plaintext is
 * accepted too; DISABLE: mTLS is off). GH0005: a portLevelMtls key that is no port of the workloads the policy selects,
 * as the translation's PeerAuthentication resolution reports it. Modes are the resolver's, the same the listeners are
 * built from. Pure.
 */
final class MtlsModeChecks {
  /** The resolver's wording for a portLevelMtls key that matches no container port; GH0005 owns those findings. */
  static final String PORT_KEY_FINDING = "portLevelMtls key ";

  private MtlsModeChecks() {}

  static List<Finding> weakerThanMesh(MeshPosture mesh) {
    MeshSnapshot s = mesh.snapshot();
    PeerAuthenticationResolver pa = mesh.peerAuthentication();
    String root = s.mesh().rootNamespace();
    if (pa.namespaceMode(root) != MtlsMode.STRICT) {
      return List.of();
    }
    List<Finding> out = new ArrayList<>();
    for (Policy<PeerAuthentication> p : s.peerAuthentications()) {
      if (p.namespace().equals(root) || hasSelector(p)) {
        continue;
      }
      MtlsMode mode = pa.namespaceMode(p.namespace());
      // Only the policy that decides the namespace's mode (the oldest one) is the one to fix.
      if (weak(mode) && p.equals(namespaceWinner(s, p.namespace()))) {
        out.add(Finding.of(FindingCode.GH0002, severity(mode), "PeerAuthentication " + p.key(),
            "namespace " + p.namespace() + " is " + mode + " under mesh-wide STRICT: " + effect(mode)));
      }
    }
    for (Policy<PeerAuthentication> p : s.peerAuthentications()) {
      if (p.namespace().equals(root) || !hasSelector(p)) {
        continue;
      }
      Map<MtlsMode, TreeSet<String>> workloadsByMode = new LinkedHashMap<>();
      Map<String, TreeSet<String>> portsByMode = new LinkedHashMap<>();
      for (Workload w : s.workloadsMatching(p.namespace(), p.spec().getSelector().getMatchLabelsMap())) {
        if (pa.workloadPolicy(w).filter(p::equals).isEmpty()) {
          continue; // an older policy decides this workload
        }
        EffectiveMtls m = pa.resolve(w);
        if (weak(m.workloadMode())) {
          workloadsByMode.computeIfAbsent(m.workloadMode(), k -> new TreeSet<>()).add(w.name());
        }
        m.portModes().forEach((port, mode) -> {
          if (weak(mode) && !weak(m.workloadMode())) {
            portsByMode.computeIfAbsent(mode + " " + port, k -> new TreeSet<>()).add(w.name());
          }
        });
      }
      workloadsByMode.forEach((mode, pods) -> out.add(Finding.of(FindingCode.GH0002, severity(mode),
          "PeerAuthentication " + p.key(), "workloads " + pods + " in " + p.namespace() + " are " + mode
              + " under mesh-wide STRICT: " + effect(mode))));
      portsByMode.forEach((modePort, pods) -> {
        MtlsMode mode = MtlsMode.valueOf(modePort.substring(0, modePort.indexOf(' ')));
        String port = modePort.substring(modePort.indexOf(' ') + 1);
        out.add(Finding.of(FindingCode.GH0002, severity(mode), "PeerAuthentication " + p.key(),
            "port " + port + " of " + pods + " in " + p.namespace() + " is " + mode
                + " (portLevelMtls) under mesh-wide STRICT: " + effect(mode)));
      });
    }
    return out;
  }

  static List<Finding> portLevelKeys(MeshPosture mesh) {
    List<Finding> out = new ArrayList<>();
    for (TranslationError e : mesh.peerAuthentication().findings()) {
      if (e.message().startsWith(PORT_KEY_FINDING)) {
        out.add(Finding.of(FindingCode.GH0005, TranslationChecks.object(e.policy()),
            e.message() + "; " + e.failClosedEffect()));
      }
    }
    return out;
  }

  /** Istio: the oldest selector-less policy of a namespace decides it (snapshot lists are oldest first). */
  private static Policy<PeerAuthentication> namespaceWinner(MeshSnapshot s, String namespace) {
    for (Policy<PeerAuthentication> p : s.peerAuthenticationsIn(namespace)) {
      if (!hasSelector(p)) {
        return p;
      }
    }
    return null;
  }

  private static boolean hasSelector(Policy<PeerAuthentication> p) {
    return p.spec().hasSelector() && p.spec().getSelector().getMatchLabelsCount() > 0;
  }

  private static boolean weak(MtlsMode m) {
    return m == MtlsMode.PERMISSIVE || m == MtlsMode.DISABLE;
  }

  private static Severity severity(MtlsMode m) {
    return m == MtlsMode.DISABLE ? Severity.ERROR : Severity.WARNING;
  }

  private static String effect(MtlsMode m) {
    return m == MtlsMode.DISABLE
        ? "connections are plaintext, callers have no verified identity and identity-based rules cannot match"
        : "plaintext connections are accepted too, and reach the app without a verified caller identity";
  }
}
