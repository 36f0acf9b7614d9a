package dev.gatehouse.xds;

import dev.gatehouse.api.istio.security.v1beta1.PeerAuthentication;
import dev.gatehouse.model.ContainerPort;
import dev.gatehouse.model.InvalidPolicy;
import dev.gatehouse.model.LabelSelector;
import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.model.MtlsMode;
import dev.gatehouse.model.Policy;
import dev.gatehouse.model.PolicyKind;
import dev.gatehouse.model.ServiceInfo;
import dev.gatehouse.model.ServicePort;
import dev.gatehouse.model.Workload;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Istio's ComposePeerAuthentication (pilot/pkg/security/authn/policy_applier.go): workload scope (selector, not in
 * the root namespace) over namespace scope (no selector) over mesh scope (no selector, root namespace); the oldest
 * policy wins within a scope; UNSET inherits from the parent scope; nothing set means the mesh default (PERMISSIVE).
 * {@code portLevelMtls} keys are container (target) ports and only count on workload-scope policies.
 *
 * <p>One instance per snapshot; thread-safe (immutable after construction apart from a concurrent memo).
 */
public final class PeerAuthenticationResolver {
  private final MeshSnapshot snapshot;
  private final String rootNamespace;
  private final MtlsMode meshMode;
  private final String meshSource;
  private final Map<String, Scoped> namespaceModes = new java.util.concurrent.ConcurrentHashMap<>();

  private record Scoped(MtlsMode mode, String source) {}

  public PeerAuthenticationResolver(MeshSnapshot snapshot) {
    this.snapshot = snapshot;
    this.rootNamespace = snapshot.mesh().rootNamespace();
    Scoped mesh = new Scoped(snapshot.mesh().defaultMtlsMode(), "mesh default");
    for (InvalidPolicy ip : snapshot.invalidPoliciesIn(rootNamespace)) {
      if (ip.kind() == PolicyKind.PEER_AUTHENTICATION && ip.selector().map(Map::isEmpty).orElse(true)) {
        mesh = new Scoped(MtlsMode.STRICT, ip.meta().describe() + " (invalid: treated as STRICT)");
      }
    }
    for (Policy<PeerAuthentication> p : snapshot.peerAuthenticationsIn(rootNamespace)) {
      if (mesh.source().endsWith("(invalid: treated as STRICT)")) {
        break;
      }
      if (!hasSelector(p.spec())) { // oldest first: the first selector-less one wins
        mesh = inherit(mesh, p);
        break;
      }
    }
    this.meshMode = mesh.mode();
    this.meshSource = mesh.source();
  }

  /** Mode of the namespace scope (namespace policy, else mesh), as auto-mTLS infers a service's server mode. */
  public MtlsMode namespaceMode(String namespace) {
    return namespaceScope(namespace).mode();
  }

  /**
   * A broken PeerAuthentication (did not parse) fails closed: it counts as STRICT for the scope it would have
   * had. Istio would drop it (leaving the inherited, possibly weaker, mode).
   */
  private Scoped namespaceScope(String namespace) {
    return namespaceModes.computeIfAbsent(namespace, ns -> {
      Scoped mesh = new Scoped(meshMode, meshSource);
      if (ns.equals(rootNamespace)) {
        return mesh;
      }
      for (InvalidPolicy ip : snapshot.invalidPoliciesIn(ns)) {
        if (ip.kind() == PolicyKind.PEER_AUTHENTICATION && ip.selector().map(Map::isEmpty).orElse(true)) {
          return new Scoped(MtlsMode.STRICT, ip.meta().describe() + " (invalid: treated as STRICT)");
        }
      }
      for (Policy<PeerAuthentication> p : snapshot.peerAuthenticationsIn(ns)) {
        if (!hasSelector(p.spec())) {
          return inherit(mesh, p);
        }
      }
      return mesh;
    });
  }

  /** The effective mode for one workload, with port-level overrides. */
  public EffectiveMtls resolve(Workload w) {
    Scoped ns = namespaceScope(w.namespace());
    if (w.namespace().equals(rootNamespace)) {
      // Istio: selector policies in the root namespace are ignored; namespace scope = mesh scope there.
      return new EffectiveMtls(ns.mode(), Map.of(), ns.source());
    }
    for (InvalidPolicy ip : snapshot.invalidPoliciesIn(w.namespace())) {
      if (ip.kind() == PolicyKind.PEER_AUTHENTICATION
          && ip.selector().isPresent()
          && !ip.selector().get().isEmpty()
          && LabelSelector.matches(ip.selector().get(), w.labels())) {
        return new EffectiveMtls(MtlsMode.STRICT, Map.of(), ip.meta().describe() + " (invalid: treated as STRICT)");
      }
    }
    Optional<Policy<PeerAuthentication>> winner = workloadPolicy(w);
    if (winner.isEmpty()) {
      return new EffectiveMtls(ns.mode(), Map.of(), ns.source());
    }
    Policy<PeerAuthentication> p = winner.get();
    Scoped workload = inherit(ns, p);
    Map<Integer, MtlsMode> ports = new TreeMap<>();
    for (Map.Entry<Integer, PeerAuthentication.MutualTLS> e : p.spec().getPortLevelMtlsMap().entrySet()) {
      MtlsMode m = mode(e.getValue());
      ports.put(e.getKey(), m == MtlsMode.UNSET ? workload.mode() : m);
    }
    return new EffectiveMtls(workload.mode(), ports, workload.source());
  }

  /** The oldest workload-scope policy selecting {@code w} (snapshot lists are oldest first). */
  public Optional<Policy<PeerAuthentication>> workloadPolicy(Workload w) {
    for (Policy<PeerAuthentication> p : snapshot.peerAuthenticationsIn(w.namespace())) {
      if (hasSelector(p.spec()) && LabelSelector.matches(p.spec().getSelector().getMatchLabelsMap(), w.labels())) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  /**
   * Mesh-wide findings, computed once per snapshot: ignored root-namespace selector policies, port-level mTLS on
   * namespace/mesh policies, shadowed policies in one scope, and portLevelMtls keys matching no container port of
   * any workload the policy selects (#49098, #27994: the key is the container port, not the Service port).
   */
  public List<TranslationError> findings() {
    List<TranslationError> out = new ArrayList<>();
    for (InvalidPolicy ip : snapshot.invalidPolicies()) {
      if (ip.kind() == PolicyKind.PEER_AUTHENTICATION) {
        out.add(new TranslationError(ip.meta().describe(), "did not parse: " + ip.reason(),
            "treated as STRICT for the workloads it would select (Istio would drop it, keeping a weaker mode)"));
      }
    }
    Map<String, Policy<PeerAuthentication>> namespaceWinner = new HashMap<>();
    for (Policy<PeerAuthentication> p : snapshot.peerAuthentications()) {
      String name = p.meta().describe();
      boolean root = p.namespace().equals(rootNamespace);
      if (hasSelector(p.spec()) && root) {
        out.add(new TranslationError(name,
            "a PeerAuthentication with a selector in the root namespace " + rootNamespace + " is ignored (Istio)",
            "no effect"));
        continue;
      }
      if (!hasSelector(p.spec())) {
        Policy<PeerAuthentication> first = namespaceWinner.putIfAbsent(p.namespace(), p);
        if (first != null) {
          out.add(new TranslationError(name,
              "another " + (root ? "mesh" : "namespace") + "-wide PeerAuthentication in " + p.namespace()
                  + " is older and wins: " + first.meta().describe(),
              "no effect"));
        }
        if (p.spec().getPortLevelMtlsCount() > 0) {
          out.add(new TranslationError(name,
              "mesh/namespace peer authentication cannot have port level mTLS",
              "portLevelMtls ignored; the policy's mtls.mode still applies"));
        }
        continue;
      }
      if (p.spec().getPortLevelMtlsCount() > 0) {
        out.addAll(portKeyFindings(p));
      }
    }
    return List.copyOf(out);
  }

  private List<TranslationError> portKeyFindings(Policy<PeerAuthentication> p) {
    List<Workload> selected =
        snapshot.workloadsMatching(p.namespace(), p.spec().getSelector().getMatchLabelsMap());
    List<TranslationError> out = new ArrayList<>();
    for (int key : new java.util.TreeSet<>(p.spec().getPortLevelMtlsMap().keySet())) {
      boolean matched = false;
      String servicePortHint = "";
      for (Workload w : selected) {
        if (targetPorts(w).contains(key)) {
          matched = true;
          break;
        }
        for (ServiceInfo s : InboundPorts.servicesSelecting(snapshot, w)) {
          for (ServicePort sp : s.ports()) {
            if (sp.port() == key) {
              int target = InboundPorts.resolveTargetPort(sp, w);
              servicePortHint = " (" + key + " is a port of Service " + s.key() + "; its container port is "
                  + (target > 0 ? String.valueOf(target) : sp.targetPortName()) + ")";
            }
          }
        }
      }
      if (!matched && !selected.isEmpty()) {
        out.add(new TranslationError(p.meta().describe(),
            "portLevelMtls key " + key + " matches no container port of the workloads it selects" + servicePortHint
                + "; portLevelMtls is keyed by container (target) port",
            "the port-level mode has no effect; the workload-level mode applies"));
      }
    }
    return out;
  }

  private List<Integer> targetPorts(Workload w) {
    List<Integer> ports = new ArrayList<>();
    for (ContainerPort cp : w.ports()) {
      ports.add(cp.port());
    }
    for (ServiceInfo s : InboundPorts.servicesSelecting(snapshot, w)) {
      for (ServicePort sp : s.ports()) {
        int t = InboundPorts.resolveTargetPort(sp, w);
        if (t > 0) {
          ports.add(t);
        }
      }
    }
    return ports;
  }

  static boolean hasSelector(PeerAuthentication spec) {
    return spec.hasSelector() && spec.getSelector().getMatchLabelsCount() > 0;
  }

  private static Scoped inherit(Scoped parent, Policy<PeerAuthentication> p) {
    MtlsMode m = p.spec().hasMtls() ? mode(p.spec().getMtls()) : MtlsMode.UNSET;
    return m == MtlsMode.UNSET ? parent : new Scoped(m, p.meta().describe());
  }

  private static MtlsMode mode(PeerAuthentication.MutualTLS mtls) {
    return switch (mtls.getMode()) {
      case STRICT -> MtlsMode.STRICT;
      case PERMISSIVE -> MtlsMode.PERMISSIVE;
      case DISABLE -> MtlsMode.DISABLE;
      default -> MtlsMode.UNSET;
    };
  }
}
