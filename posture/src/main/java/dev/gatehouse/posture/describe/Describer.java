package dev.gatehouse.posture.describe;

import dev.gatehouse.api.istio.security.v1beta1.AuthorizationPolicy;
import dev.gatehouse.api.istio.security.v1beta1.RequestAuthentication;
import dev.gatehouse.model.InvalidPolicy;
import dev.gatehouse.model.MeshConfig;
import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.model.MtlsMode;
import dev.gatehouse.model.Policy;
import dev.gatehouse.model.PolicyKind;
import dev.gatehouse.model.ServiceInfo;
import dev.gatehouse.model.ServicePort;
import dev.gatehouse.model.Workload;
import dev.gatehouse.posture.AppliedPolicies;
import dev.gatehouse.posture.AuthorizationFacts;
import dev.gatehouse.posture.CaFacts;
import dev.gatehouse.posture.Durations;
import dev.gatehouse.posture.MeshPosture;
import dev.gatehouse.posture.MeshPosture.PortAccess;
import dev.gatehouse.posture.PortModes;
import dev.gatehouse.posture.ProtoJson;
import dev.gatehouse.posture.describe.WorkloadDescription.Identity;
import dev.gatehouse.posture.describe.WorkloadDescription.PolicyInEffect;
import dev.gatehouse.posture.describe.WorkloadDescription.PortMode;
import dev.gatehouse.xds.EffectiveMtls;
import dev.gatehouse.xds.InboundPort;
import dev.gatehouse.xds.InboundPorts;
import dev.gatehouse.xds.ProxyResources;
import dev.gatehouse.xds.TranslationError;
import dev.gatehouse.xds.TranslationNotice;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Builds a {@link WorkloadDescription} from the model and the resources the pod's proxy receives. Pure. */
public final class Describer {
  private static final List<String> ACTION_ORDER = List.of("CUSTOM", "DENY", "ALLOW", "AUDIT");

  private Describer() {}

  public static WorkloadDescription describe(MeshPosture mesh, Workload w) {
    MeshSnapshot s = mesh.snapshot();
    EffectiveMtls mtls = mesh.mtls(w);
    ProxyResources resources = mesh.resources(w);
    List<InboundPort> inbound = mesh.inboundPorts(w);

    List<PortMode> ports = new ArrayList<>();
    for (int port : mesh.ports(w)) {
      Optional<InboundPort> ip = inbound.stream().filter(p -> p.port() == port).findFirst();
      MtlsMode mode = ip.map(InboundPort::mode).orElse(mtls.workloadMode());
      PortAccess access = mesh.access(w, port);
      ports.add(new PortMode(port,
          ip.filter(InboundPort::declared).map(p -> p.protocol().name()).orElse("passthrough"),
          mode.name(), PortModes.decidedBy(mesh, w, port), access.mtls(), access.plaintext(),
          access.chains(), servicesTargeting(s, w, port)));
    }

    // The proxy's own errors, and the mesh-wide translation's errors about policies that apply to this pod (e.g. a
    // CUSTOM policy naming an unknown provider fails closed in every proxy it selects).
    List<TranslationError> relevant = new ArrayList<>(resources.errors());
    java.util.Set<String> applied = new java.util.HashSet<>();
    AppliedPolicies.authorization(s, w).forEach(p -> applied.add("AuthorizationPolicy " + p.key()));
    AppliedPolicies.authentication(s, w).forEach(p -> applied.add("RequestAuthentication " + p.key()));
    for (TranslationError e : mesh.translation().errors()) {
      if (applied.contains(objectOf(e.policy())) && !relevant.contains(e)) {
        relevant.add(e);
      }
    }
    List<String> errors = new ArrayList<>();
    for (TranslationError e : relevant) {
      errors.add(e.policy() + ": " + e.message() + " (" + e.failClosedEffect() + ")");
    }
    List<String> notices = new ArrayList<>();
    if (!w.inMesh()) {
      notices.add("no proxy: nothing enforces peer authentication or authorization for this pod; it accepts "
          + "plaintext from anyone");
    }
    for (TranslationNotice n : resources.notices()) {
      notices.add(n.subject() + ": " + n.message());
    }

    return new WorkloadDescription(
        w.key().toString(),
        MeshPosture.proxyName(w),
        w.ip(),
        w.serviceAccount(),
        identity(s.mesh(), w, mesh.input().ca()),
        mtls.workloadMode().name(),
        mtls.source(),
        List.copyOf(ports),
        authorization(mesh, w, relevant),
        authentication(mesh, w, relevant),
        services(s, w),
        List.copyOf(errors),
        List.copyOf(notices));
  }

  private static Identity identity(MeshConfig mesh, Workload w, CaFacts ca) {
    List<String> aliases = new ArrayList<>();
    for (String td : mesh.trustDomainAliases()) {
      aliases.add("spiffe://" + td + "/ns/" + w.namespace() + "/sa/" + w.serviceAccount());
    }
    return new Identity(mesh.spiffeId(w.namespace(), w.serviceAccount()), List.copyOf(aliases),
        ca.defaultWorkloadCertTtl().map(Durations::format).orElse(""),
        w.inMesh() ? ca.workloadRotation() : "no proxy: the pod gets no mesh certificate");
  }

  private static List<String> services(MeshSnapshot s, Workload w) {
    List<String> out = new ArrayList<>();
    for (ServiceInfo svc : InboundPorts.servicesSelecting(s, w)) {
      List<String> ports = new ArrayList<>();
      for (ServicePort sp : svc.ports()) {
        int target = InboundPorts.resolveTargetPort(sp, w);
        ports.add(sp.port() + "->" + (target > 0 ? target : sp.targetPortName() + "?")
            + (sp.name().isEmpty() ? "" : " (" + sp.name() + ")"));
      }
      out.add(svc.key() + " " + ports);
    }
    return List.copyOf(out);
  }

  private static List<String> servicesTargeting(MeshSnapshot s, Workload w, int port) {
    List<String> out = new ArrayList<>();
    for (ServiceInfo svc : InboundPorts.servicesSelecting(s, w)) {
      for (ServicePort sp : svc.ports()) {
        if (InboundPorts.resolveTargetPort(sp, w) == port) {
          out.add(svc.key() + ":" + sp.port());
        }
      }
    }
    return List.copyOf(out);
  }

  /** "AuthorizationPolicy foo/x" for "AuthorizationPolicy foo/x (from /dir/a.yaml)". */
  private static String objectOf(String policy) {
    int from = policy.indexOf(" (from ");
    return from < 0 ? policy : policy.substring(0, from);
  }

  private static String problem(List<TranslationError> errors, String policy) {
    for (TranslationError e : errors) {
      if (objectOf(e.policy()).equals(policy)) {
        return e.message() + " (" + e.failClosedEffect() + ")";
      }
    }
    return "";
  }

  private static List<PolicyInEffect> authorization(MeshPosture mesh, Workload w, List<TranslationError> resources) {
    MeshSnapshot s = mesh.snapshot();
    List<PolicyInEffect> out = new ArrayList<>();
    for (Policy<AuthorizationPolicy> p : AppliedPolicies.authorization(s, w)) {
      AuthorizationPolicy spec = p.spec();
      List<Object> rules = new ArrayList<>();
      spec.getRulesList().forEach(r -> rules.add(ProtoJson.tree(r)));
      String action = switch (spec.getAction()) {
        case ALLOW, DENY, AUDIT, CUSTOM -> spec.getAction().name();
        default -> "DENY";
      };
      out.add(new PolicyInEffect(p.key().toString(), action,
          AppliedPolicies.scope(s, p.namespace(), AppliedPolicies.selector(spec), AppliedPolicies.targetRefs(spec)),
          AuthorizationFacts.dryRun(p.meta().annotations()), spec.hasProvider() ? spec.getProvider().getName() : "",
          problem(resources, "AuthorizationPolicy " + p.key()), List.copyOf(rules)));
    }
    for (InvalidPolicy p : AppliedPolicies.invalid(s, w, PolicyKind.AUTHORIZATION_POLICY)) {
      out.add(new PolicyInEffect(p.key().toString(), p.action().isEmpty() ? "ALLOW" : p.action(),
          AppliedPolicies.scope(s, p.meta().namespace(), p.selector().orElse(Map.of()), List.of()),
          AuthorizationFacts.dryRun(p.meta().annotations()), "",
          "did not parse: " + p.reason() + " (" + failClosed(problem(resources, "AuthorizationPolicy " + p.key())) + ")",
          List.of()));
    }
    out.sort(Comparator.comparingInt((PolicyInEffect e) -> order(e.action())));
    return List.copyOf(out);
  }

  private static String failClosed(String problem) {
    int open = problem.lastIndexOf(" (");
    return open < 0 ? "fails closed" : problem.substring(open + 2, problem.length() - 1);
  }

  private static int order(String action) {
    int i = ACTION_ORDER.indexOf(action);
    return i < 0 ? 1 : i; // unknown actions deny
  }

  private static List<PolicyInEffect> authentication(MeshPosture mesh, Workload w, List<TranslationError> resources) {
    MeshSnapshot s = mesh.snapshot();
    List<PolicyInEffect> out = new ArrayList<>();
    for (Policy<RequestAuthentication> p : AppliedPolicies.authentication(s, w)) {
      RequestAuthentication spec = p.spec();
      List<Object> rules = new ArrayList<>();
      spec.getJwtRulesList().forEach(r -> rules.add(ProtoJson.tree(r)));
      out.add(new PolicyInEffect(p.key().toString(), "",
          AppliedPolicies.scope(s, p.namespace(), spec.hasSelector() ? spec.getSelector().getMatchLabelsMap() : Map.of(),
              dev.gatehouse.xds.authz.PolicyAttachment.targetRefs(spec.getTargetRef(), spec.getTargetRefsList(),
                  spec.hasTargetRef())),
          false, "", problem(resources, "RequestAuthentication " + p.key()), List.copyOf(rules)));
    }
    for (InvalidPolicy p : AppliedPolicies.invalid(s, w, PolicyKind.REQUEST_AUTHENTICATION)) {
      out.add(new PolicyInEffect(p.key().toString(), "",
          AppliedPolicies.scope(s, p.meta().namespace(), p.selector().orElse(Map.of()), List.of()), false, "",
          "did not parse: " + p.reason() + " (every request carrying a token is rejected)", List.of()));
    }
    return List.copyOf(out);
  }
}
