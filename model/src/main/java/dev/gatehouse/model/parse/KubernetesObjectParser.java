package dev.gatehouse.model.parse;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import dev.gatehouse.api.istio.networking.v1alpha3.DestinationRule;
import dev.gatehouse.api.istio.security.v1beta1.AuthorizationPolicy;
import dev.gatehouse.api.istio.security.v1beta1.PeerAuthentication;
import dev.gatehouse.api.istio.security.v1beta1.RequestAuthentication;
import dev.gatehouse.model.ContainerPort;
import dev.gatehouse.model.EndpointSliceInfo;
import dev.gatehouse.model.InvalidPolicy;
import dev.gatehouse.model.MeshConfig;
import dev.gatehouse.model.NamespaceInfo;
import dev.gatehouse.model.Policy;
import dev.gatehouse.model.PolicyKind;
import dev.gatehouse.model.ResourceMeta;
import dev.gatehouse.model.ServiceAccountInfo;
import dev.gatehouse.model.ServiceInfo;
import dev.gatehouse.model.ServicePort;
import dev.gatehouse.model.Workload;
import dev.gatehouse.model.WorkloadProbe;
import dev.gatehouse.model.parse.RawFields.MalformedFieldException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Turns one Kubernetes object, as a generic map (from YAML, JSON or a fabric8 {@code GenericKubernetesResource}),
 * into a mesh object. Both config sources (files and Kubernetes) use this one parser, so a YAML file and the same
 * object in a cluster always mean the same thing. Pure and thread-safe; never throws on input.
 *
 * <p>Istio security resources are read strictly (an unknown field is an error: a typo in a security policy must
 * not silently change its meaning) and then checked as Istio's validation webhook would check them. A security
 * resource whose name is readable but whose spec is not becomes an {@link InvalidPolicy}, so translation can fail
 * closed for the workloads it selects. DestinationRules ignore traffic-management fields Gatehouse does not act on.
 */
public final class KubernetesObjectParser {
  /** Istio's dry-run annotation: the policy is evaluated in shadow mode only. */
  public static final String DRY_RUN_ANNOTATION = "istio.io/dry-run";

  public static final String TLS_MODE_LABEL = "security.istio.io/tlsMode";
  public static final String INJECT_TEMPLATES_ANNOTATION = "inject.istio.io/templates";
  public static final String PROXYLESS_GRPC_ANNOTATION = "proxyless.gatehouse.dev/grpc";
  public static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";

  private static final String SECURITY_GROUP = "security.istio.io";
  private static final String NETWORKING_GROUP = "networking.istio.io";

  /** Real Istio kinds in the groups Gatehouse reads that it has no use for: skipped, not errors. */
  private static final Set<String> OTHER_ISTIO_KINDS =
      Set.of(
          NETWORKING_GROUP + "/VirtualService",
          NETWORKING_GROUP + "/Gateway",
          NETWORKING_GROUP + "/ServiceEntry",
          NETWORKING_GROUP + "/Sidecar",
          NETWORKING_GROUP + "/WorkloadEntry",
          NETWORKING_GROUP + "/WorkloadGroup",
          NETWORKING_GROUP + "/EnvoyFilter",
          NETWORKING_GROUP + "/ProxyConfig");

  /**
   * ObjectMeta's fields (k8s.io/apimachinery meta/v1). Anything else is a typo the API server would reject; read
   * leniently, a misspelt {@code namespace} would put a policy in "default", a misspelt {@code labels} would hide a
   * pod from the policies that select it.
   */
  private static final Set<String> METADATA_FIELDS =
      Set.of(
          "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
          "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations",
          "ownerReferences", "finalizers", "managedFields", "clusterName");

  /** The top-level fields of an Istio resource; a misspelt {@code spec} must not read as an empty spec. */
  private static final Set<String> ISTIO_OBJECT_FIELDS = Set.of("apiVersion", "kind", "metadata", "spec", "status");

  private static final JsonFormat.Parser STRICT_JSON = JsonFormat.parser();
  private static final JsonFormat.Parser LENIENT_JSON = JsonFormat.parser().ignoringUnknownFields();
  private static final int MAX_REASON = 400;

  private final MeshConfig mesh;

  public KubernetesObjectParser(MeshConfig mesh) {
    this.mesh = Objects.requireNonNull(mesh, "mesh");
  }

  /**
   * Parses one object.
   *
   * @param object the object as a map: apiVersion, kind, metadata, spec/status...
   * @param source where it came from, for error messages (file path, or "kubernetes")
   */
  public ParseResult parse(Map<String, Object> object, String source) {
    return parseOne(object, source == null ? "" : source);
  }

  /**
   * Parses one document, expanding {@code kind: List} and typed lists ({@code PodList}...) into their items.
   * Items of a typed list may omit apiVersion and kind, as the API server returns them; they are taken from the
   * list. A document that is not an object gives one {@link ParseResult.Failed}.
   */
  public List<ParseResult> parseAll(Object document, String source) {
    String src = source == null ? "" : source;
    List<ParseResult> out = new ArrayList<>();
    try {
      expand(document, src, out, 0);
    } catch (RuntimeException e) {
      // Objects already parsed stay; the rest of this document is reported, never thrown.
      out.add(new ParseResult.Failed(
          src, shorten("unexpected " + e.getClass().getSimpleName() + ": " + firstLine(e.getMessage()))));
    }
    return out;
  }

  /** More objects than any real List holds; YAML aliases could otherwise multiply items exponentially. */
  private static final int MAX_LIST_OBJECTS = 100_000;

  private void expand(Object document, String source, List<ParseResult> out, int depth) {
    if (out.size() >= MAX_LIST_OBJECTS) {
      if (out.size() == MAX_LIST_OBJECTS) {
        out.add(new ParseResult.Failed(source, "more than " + MAX_LIST_OBJECTS + " objects in one document"));
      }
      return;
    }
    if (!(document instanceof Map<?, ?> map)) {
      out.add(new ParseResult.Failed(source, "not a Kubernetes object (" + RawFields.describe(document) + ")"));
      return;
    }
    if (!isList(map)) {
      out.add(parseOne(map, source));
      return;
    }
    if (depth > 8) {
      // Also stops a List that contains itself through a YAML alias.
      out.add(new ParseResult.Failed(source, "Lists nested too deeply"));
      return;
    }
    Object items = map.get("items");
    if (items == null) {
      return;
    }
    if (!(items instanceof List<?> list)) {
      out.add(new ParseResult.Failed(source, "items: expected a list, got " + RawFields.describe(items)));
      return;
    }
    String listKind = RawFields.scalar(map.get("kind")).orElse("List");
    String itemKind = listKind.equals("List") ? "" : listKind.substring(0, listKind.length() - "List".length());
    Object listApiVersion = map.get("apiVersion");
    for (Object item : list) {
      if (item instanceof Map<?, ?> m && !itemKind.isEmpty() && (m.get("kind") == null || m.get("apiVersion") == null)) {
        Map<Object, Object> filled = new LinkedHashMap<>(m);
        filled.putIfAbsent("kind", itemKind);
        filled.putIfAbsent("apiVersion", listApiVersion);
        item = filled;
      }
      expand(item, source, out, depth + 1);
    }
  }

  private static boolean isList(Map<?, ?> map) {
    Optional<String> kind = RawFields.scalar(map.get("kind"));
    if (kind.isEmpty()) {
      return false;
    }
    return kind.get().equals("List") || (kind.get().endsWith("List") && map.containsKey("items"));
  }

  private ParseResult parseOne(Map<?, ?> object, String source) {
    String described = "object";
    try {
      if (object == null) {
        return new ParseResult.Failed(source, "not a Kubernetes object (null)");
      }
      String kind = requiredScalar(object, "kind");
      String apiVersion = requiredScalar(object, "apiVersion");
      if (kind.isEmpty()) {
        return new ParseResult.Failed(source, "missing kind");
      }
      described = kind;
      if (apiVersion.isEmpty()) {
        return new ParseResult.Failed(source, kind + ": missing apiVersion");
      }
      if (isList(object)) {
        return new ParseResult.Failed(source, kind + " holds several objects; read it with parseAll");
      }
      int slash = apiVersion.indexOf('/');
      String group = slash < 0 ? "" : apiVersion.substring(0, slash);
      String version = slash < 0 ? apiVersion : apiVersion.substring(slash + 1);

      Object metadata = object.get("metadata");
      if (!(metadata instanceof Map<?, ?> md)) {
        return new ParseResult.Failed(source, kind + ": missing metadata");
      }
      String name = RawFields.scalar(md.get("name")).orElse("");
      if (name.isEmpty()) {
        return new ParseResult.Failed(source, kind + ": missing metadata.name");
      }
      described = kind + " " + name;

      Optional<PolicyKind> policyKind = PolicyKind.fromKind(group, kind);
      if (policyKind.isPresent()) {
        MetaRead meta = readMeta(apiVersion, kind, md, true, source);
        described = kind + " " + meta.meta().key();
        return parsePolicy(policyKind.get(), version, object, meta);
      }
      if (group.equals(SECURITY_GROUP) || group.equals(NETWORKING_GROUP)) {
        if (OTHER_ISTIO_KINDS.contains(group + "/" + kind)) {
          return new ParseResult.Ignored(kind, "Gatehouse does not read " + group + "/" + kind);
        }
        return new ParseResult.Failed(source, "unknown kind " + group + "/" + kind + " (" + name + ")");
      }
      CoreKind core = CoreKind.of(group, version, kind);
      if (core == null) {
        return new ParseResult.Ignored(kind, "Gatehouse does not read " + apiVersion + "/" + kind);
      }
      MetaRead meta = readMeta(apiVersion, kind, md, core != CoreKind.NAMESPACE, source);
      described = kind + " " + meta.meta().key();
      if (!meta.problems().isEmpty()) {
        return new ParseResult.Failed(source, described + ": " + String.join("; ", meta.problems()));
      }
      return parseCore(core, object, meta.meta());
    } catch (MalformedFieldException e) {
      return new ParseResult.Failed(source, shorten(described + ": " + e.getMessage()));
    } catch (RuntimeException e) {
      // Never let one odd object take down a whole batch: report it and carry on.
      return new ParseResult.Failed(
          source, shorten(described + ": unexpected " + e.getClass().getSimpleName() + ": " + firstLine(e.getMessage())));
    }
  }

  private static String requiredScalar(Map<?, ?> object, String key) {
    Object v = object.get(key);
    if (v == null) {
      return "";
    }
    return RawFields.scalar(v).orElseThrow(() -> new MalformedFieldException(key, "a string", v));
  }

  // ---------------------------------------------------------------- metadata

  private record MetaRead(ResourceMeta meta, List<String> problems) {}

  private static MetaRead readMeta(
      String apiVersion, String kind, Map<?, ?> md, boolean namespaced, String source) {
    List<String> problems = new ArrayList<>();
    for (Object field : md.keySet()) {
      if (!METADATA_FIELDS.contains(String.valueOf(field))) {
        problems.add("metadata: unknown field \"" + field + "\"");
      }
    }
    String name = RawFields.scalar(md.get("name")).orElse("");
    String namespace = "";
    if (namespaced) {
      namespace = RawFields.scalar(md.get("namespace")).orElse("");
      if (namespace.isEmpty()) {
        namespace = "default"; // as kubectl applies an object without a namespace
      }
    }
    Instant created = Instant.EPOCH;
    Object ts = md.get("creationTimestamp");
    if (ts instanceof Date d) {
      created = d.toInstant(); // SnakeYAML reads an unquoted timestamp as a Date
    } else if (ts != null) {
      Optional<Instant> parsed = RawFields.scalar(ts).flatMap(KubernetesObjectParser::rfc3339);
      if (parsed.isPresent()) {
        created = parsed.get();
      } else {
        problems.add("metadata.creationTimestamp: not an RFC 3339 time: " + RawFields.describe(ts));
      }
    }
    String resourceVersion = RawFields.scalar(md.get("resourceVersion")).orElse("");
    Map<String, String> labels = Map.of();
    Map<String, String> annotations = Map.of();
    try {
      labels = RawFields.stringMap(md, "labels", "metadata.labels");
    } catch (MalformedFieldException e) {
      problems.add(e.getMessage());
    }
    try {
      annotations = RawFields.stringMap(md, "annotations", "metadata.annotations");
    } catch (MalformedFieldException e) {
      problems.add(e.getMessage());
    }
    ResourceMeta meta =
        new ResourceMeta(apiVersion, kind, namespace, name, created, resourceVersion, labels, annotations, source);
    return new MetaRead(meta, problems);
  }

  /** RFC 3339 as Kubernetes writes it ({@code 2024-01-02T03:04:05Z}), also with an offset or fraction. */
  static Optional<Instant> rfc3339(String text) {
    try {
      return Optional.of(OffsetDateTime.parse(text).toInstant());
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }

  // ---------------------------------------------------------------- Istio resources

  private ParseResult parsePolicy(PolicyKind kind, String version, Map<?, ?> object, MetaRead read) {
    ResourceMeta meta = read.meta();
    Object rawSpec = object.get("spec");
    Map<?, ?> spec = rawSpec instanceof Map<?, ?> m ? m : Map.of();
    List<String> errors = new ArrayList<>(read.problems());
    for (Object field : object.keySet()) {
      if (!ISTIO_OBJECT_FIELDS.contains(String.valueOf(field))) {
        errors.add("unknown field \"" + field + "\"");
      }
    }
    if (!kind.versions().contains(version)) {
      errors.add(
          "unsupported apiVersion " + meta.apiVersion() + " for " + kind.kind() + " (accepted: "
              + String.join(", ", kind.versions()) + ")");
    }
    if (rawSpec != null && !(rawSpec instanceof Map<?, ?>)) {
      errors.add("spec: expected an object, got " + RawFields.describe(rawSpec));
    }
    if (!errors.isEmpty()) {
      return invalid(kind, meta, spec, rawSpec instanceof Map<?, ?> || rawSpec == null, null, errors);
    }
    Message.Builder builder = newSpecBuilder(kind);
    try {
      JsonFormat.Parser json = kind == PolicyKind.DESTINATION_RULE ? LENIENT_JSON : STRICT_JSON;
      json.merge(JsonText.of(spec), builder);
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      return invalid(kind, meta, spec, true, null, List.of("spec: " + firstLine(e.getMessage())));
    }
    Message parsed = builder.build();
    errors.addAll(validate(kind, parsed, spec));
    errors.addAll(validateDryRun(kind, parsed, meta));
    if (!errors.isEmpty()) {
      return invalid(kind, meta, spec, true, parsed, errors);
    }
    return new ParseResult.Parsed(kind.kind(), meta.key(), new Policy<>(kind, meta, parsed));
  }

  private static Message.Builder newSpecBuilder(PolicyKind kind) {
    return switch (kind) {
      case PEER_AUTHENTICATION -> PeerAuthentication.newBuilder();
      case AUTHORIZATION_POLICY -> AuthorizationPolicy.newBuilder();
      case REQUEST_AUTHENTICATION -> RequestAuthentication.newBuilder();
      case DESTINATION_RULE -> DestinationRule.newBuilder();
    };
  }

  private static List<String> validate(PolicyKind kind, Message spec, Map<?, ?> rawSpec) {
    return switch (kind) {
      case PEER_AUTHENTICATION -> PeerAuthenticationValidation.validate((PeerAuthentication) spec);
      case AUTHORIZATION_POLICY -> AuthorizationPolicyValidation.validate((AuthorizationPolicy) spec);
      case REQUEST_AUTHENTICATION -> RequestAuthenticationValidation.validate((RequestAuthentication) spec);
      case DESTINATION_RULE -> {
        List<String> errors = new ArrayList<>(DestinationRuleValidation.validateRaw(rawSpec));
        errors.addAll(DestinationRuleValidation.validate((DestinationRule) spec));
        yield errors;
      }
    };
  }

  /**
   * Istio admits {@code istio.io/dry-run} only on AuthorizationPolicy, only with ALLOW or DENY, and only with a
   * Go boolean value (validation.go checkDryRunAnnotation).
   */
  static List<String> validateDryRun(PolicyKind kind, Message spec, ResourceMeta meta) {
    String value = meta.annotations().get(DRY_RUN_ANNOTATION);
    if (value == null) {
      return List.of();
    }
    if (kind != PolicyKind.AUTHORIZATION_POLICY) {
      return List.of("unsupported annotation " + DRY_RUN_ANNOTATION + ", please remove the annotation");
    }
    AuthorizationPolicy.Action action = ((AuthorizationPolicy) spec).getAction();
    if (action != AuthorizationPolicy.Action.ALLOW && action != AuthorizationPolicy.Action.DENY) {
      return List.of(
          "the annotation " + DRY_RUN_ANNOTATION + " currently only supports action ALLOW/DENY, found action "
              + action);
    }
    if (!IstioValueRules.isGoBool(value)) {
      return List.of("annotation " + DRY_RUN_ANNOTATION + " with invalid value (" + value + ")");
    }
    return List.of();
  }

  private static ParseResult invalid(
      PolicyKind kind, ResourceMeta meta, Map<?, ?> spec, boolean specReadable, Message parsed, List<String> errors) {
    Optional<Map<String, String>> selector =
        specReadable ? rawSelector(spec, kind == PolicyKind.DESTINATION_RULE ? "workloadSelector" : "selector")
            : Optional.empty();
    String action = "";
    if (kind == PolicyKind.AUTHORIZATION_POLICY) {
      if (parsed instanceof AuthorizationPolicy ap) {
        action = ap.getAction().name();
      } else if (specReadable) {
        Object raw = spec.get("action");
        action = raw == null ? "ALLOW" : RawFields.scalar(raw).orElse("");
      }
    }
    String reason = shorten(String.join("; ", new LinkedHashSet<>(errors)));
    InvalidPolicy invalid = new InvalidPolicy(kind, meta, selector, action, reason);
    return new ParseResult.Parsed(kind.kind(), meta.key(), invalid);
  }

  /**
   * The selector of a spec that did not parse, if it can still be read: absent means the whole namespace (an
   * empty map); a selector that is itself malformed gives an empty Optional.
   */
  static Optional<Map<String, String>> rawSelector(Map<?, ?> spec, String field) {
    Object selector = spec.get(field);
    if (selector == null) {
      return Optional.of(Map.of());
    }
    if (!(selector instanceof Map<?, ?> s)) {
      return Optional.empty();
    }
    try {
      return Optional.of(RawFields.stringMapValue(s.get("matchLabels"), field + ".matchLabels"));
    } catch (MalformedFieldException e) {
      return Optional.empty();
    }
  }

  // ---------------------------------------------------------------- Kubernetes core resources

  private enum CoreKind {
    NAMESPACE,
    SERVICE_ACCOUNT,
    POD,
    SERVICE,
    ENDPOINT_SLICE;

    static CoreKind of(String group, String version, String kind) {
      if (group.isEmpty() && version.equals("v1")) {
        return switch (kind) {
          case "Namespace" -> NAMESPACE;
          case "ServiceAccount" -> SERVICE_ACCOUNT;
          case "Pod" -> POD;
          case "Service" -> SERVICE;
          default -> null;
        };
      }
      if (group.equals("discovery.k8s.io")
          && (version.equals("v1") || version.equals("v1beta1"))
          && kind.equals("EndpointSlice")) {
        return ENDPOINT_SLICE;
      }
      return null;
    }
  }

  private ParseResult parseCore(CoreKind kind, Map<?, ?> object, ResourceMeta meta) {
    return switch (kind) {
      case NAMESPACE -> parsed(meta, new NamespaceInfo(meta));
      case SERVICE_ACCOUNT -> parsed(meta, new ServiceAccountInfo(meta));
      case POD -> parsePod(object, meta);
      case SERVICE -> parsed(meta, parseService(object, meta));
      case ENDPOINT_SLICE -> parsed(meta, parseEndpointSlice(object, meta));
    };
  }

  private static ParseResult parsed(ResourceMeta meta, Object value) {
    return new ParseResult.Parsed(meta.kind(), meta.key(), value);
  }

  private ParseResult parsePod(Map<?, ?> object, ResourceMeta meta) {
    Map<?, ?> spec = RawFields.map(object, "spec", "spec");
    Map<?, ?> status = RawFields.map(object, "status", "status");
    String phase = RawFields.string(status, "phase", "status.phase");
    if (phase.equals("Succeeded") || phase.equals("Failed")) {
      // A finished pod keeps its IP in status but no longer serves; the IP may already belong to another pod.
      return new ParseResult.Ignored("Pod", "pod " + meta.key() + " has finished (phase " + phase + ")");
    }
    String serviceAccount = RawFields.string(spec, "serviceAccountName", "spec.serviceAccountName");
    if (serviceAccount.isEmpty()) {
      serviceAccount = RawFields.string(spec, "serviceAccount", "spec.serviceAccount");
    }
    String ip = RawFields.string(status, "podIP", "status.podIP");
    if (ip.isEmpty()) {
      List<?> podIps = RawFields.list(status, "podIPs", "status.podIPs");
      if (!podIps.isEmpty()) {
        ip = RawFields.string(RawFields.element(podIps.get(0), "status.podIPs[0]"), "ip", "status.podIPs[0].ip");
      }
    }
    boolean istioProxyContainer = false;
    List<ContainerPort> ports = new ArrayList<>();
    List<Map<?, ?>> serving = new ArrayList<>();
    List<String> servingPaths = new ArrayList<>();
    for (String field : List.of("containers", "initContainers")) {
      List<?> containers = RawFields.list(spec, field, "spec." + field);
      for (int i = 0; i < containers.size(); i++) {
        String path = "spec." + field + "[" + i + "]";
        Map<?, ?> c = RawFields.element(containers.get(i), path);
        if (RawFields.string(c, "name", path + ".name").equals("istio-proxy")) {
          istioProxyContainer = true;
        }
        // An init container with restartPolicy Always is a native sidecar: it runs, and serves, beside the app.
        boolean serves =
            field.equals("containers") || RawFields.string(c, "restartPolicy", path + ".restartPolicy").equals("Always");
        if (serves) {
          ports.addAll(containerPorts(c, path));
          serving.add(c);
          servingPaths.add(path);
        }
      }
    }
    List<WorkloadProbe> probes = new ArrayList<>();
    for (int i = 0; i < serving.size(); i++) {
      try {
        probes.addAll(probes(serving.get(i), servingPaths.get(i), ports));
      } catch (MalformedFieldException e) {
        // Probes only inform analysis: an odd probe never costs the pod its place in the mesh.
      }
    }
    // Istio's grpc-agent template also sets the tlsMode label (clients' auto-mTLS reads it from the endpoint) and runs
    // the agent in an istio-proxy container, without Envoy: such a pod is proxyless gRPC, not a sidecar.
    boolean proxyless = proxylessGrpc(meta.annotations());
    boolean hasSidecar = !proxyless && ("istio".equals(meta.labels().get(TLS_MODE_LABEL)) || istioProxyContainer);
    Workload w = new Workload(meta, serviceAccount, ip, ports, hasSidecar, proxyless, probes);
    return parsed(meta, w);
  }

  /**
   * The probes of one container that connect to a port (httpGet, tcpSocket, grpc; exec probes connect to nothing).
   * A named port resolves against the pod's container ports, as the kubelet does; an unknown name gives port 0.
   */
  private static List<WorkloadProbe> probes(Map<?, ?> container, String path, List<ContainerPort> podPorts) {
    List<WorkloadProbe> out = new ArrayList<>();
    String name = RawFields.string(container, "name", path + ".name");
    for (String kind : List.of("liveness", "readiness", "startup")) {
      String probePath = path + "." + kind + "Probe";
      Map<?, ?> probe = RawFields.map(container, kind + "Probe", probePath);
      for (String handler : List.of("httpGet", "tcpSocket", "grpc")) {
        Map<?, ?> h = RawFields.map(probe, handler, probePath + "." + handler);
        if (h.isEmpty()) {
          continue;
        }
        Object port = h.get("port");
        Optional<Integer> number = port == null ? Optional.empty() : RawFields.integerValue(port);
        if (number.isPresent()) {
          out.add(new WorkloadProbe(name, kind, handler, number.get(), ""));
        } else if (port != null) {
          String portName = RawFields.string(h, "port", probePath + "." + handler + ".port");
          int resolved = 0;
          for (ContainerPort cp : podPorts) {
            if (cp.name().equals(portName)) {
              resolved = cp.port();
            }
          }
          out.add(new WorkloadProbe(name, kind, handler, resolved, portName));
        }
      }
    }
    return out;
  }

  private static List<ContainerPort> containerPorts(Map<?, ?> container, String path) {
    List<?> raw = RawFields.list(container, "ports", path + ".ports");
    List<ContainerPort> out = new ArrayList<>(raw.size());
    for (int j = 0; j < raw.size(); j++) {
      String p = path + ".ports[" + j + "]";
      Map<?, ?> port = RawFields.element(raw.get(j), p);
      int number = RawFields.integer(port, "containerPort", p + ".containerPort", 0);
      if (number < 1 || number > 65535) {
        throw new MalformedFieldException(p + ".containerPort", "a port in 1..65535", port.get("containerPort"));
      }
      out.add(
          new ContainerPort(
              RawFields.string(port, "name", p + ".name"), number, RawFields.string(port, "protocol", p + ".protocol")));
    }
    return out;
  }

  /** Istio's gRPC injection templates, or Gatehouse's own opt-in annotation. */
  static boolean proxylessGrpc(Map<String, String> annotations) {
    if ("true".equals(annotations.get(PROXYLESS_GRPC_ANNOTATION))) {
      return true;
    }
    String templates = annotations.getOrDefault(INJECT_TEMPLATES_ANNOTATION, "");
    for (String t : templates.split(",")) {
      String name = t.trim();
      if (name.equals("grpc-agent") || name.equals("grpc-simple")) {
        return true;
      }
    }
    return false;
  }

  private ServiceInfo parseService(Map<?, ?> object, ResourceMeta meta) {
    Map<?, ?> spec = RawFields.map(object, "spec", "spec");
    List<?> raw = RawFields.list(spec, "ports", "spec.ports");
    List<ServicePort> ports = new ArrayList<>(raw.size());
    for (int i = 0; i < raw.size(); i++) {
      String p = "spec.ports[" + i + "]";
      Map<?, ?> port = RawFields.element(raw.get(i), p);
      int number = RawFields.integer(port, "port", p + ".port", 0);
      if (number < 1 || number > 65535) {
        throw new MalformedFieldException(p + ".port", "a port in 1..65535", port.get("port"));
      }
      int targetPort = 0;
      String targetPortName = "";
      Object target = port.get("targetPort");
      if (target != null) {
        Optional<Integer> numeric = RawFields.integerValue(target);
        if (numeric.isPresent()) {
          targetPort = numeric.get();
          if (targetPort < 1 || targetPort > 65535) {
            throw new MalformedFieldException(p + ".targetPort", "a port in 1..65535 or a port name", target);
          }
        } else if (target instanceof String s && !s.isEmpty()) {
          targetPortName = s;
        } else {
          throw new MalformedFieldException(p + ".targetPort", "a port number or name", target);
        }
      }
      ports.add(
          new ServicePort(
              RawFields.string(port, "name", p + ".name"),
              number,
              RawFields.string(port, "protocol", p + ".protocol"),
              RawFields.string(port, "appProtocol", p + ".appProtocol"),
              targetPort,
              targetPortName));
    }
    Map<String, String> selector = RawFields.stringMap(spec, "selector", "spec.selector");
    String clusterIp = RawFields.string(spec, "clusterIP", "spec.clusterIP");
    String fqdn = meta.name() + "." + meta.namespace() + ".svc." + mesh.clusterDomain();
    return new ServiceInfo(meta, fqdn, ports, selector, clusterIp);
  }

  private static EndpointSliceInfo parseEndpointSlice(Map<?, ?> object, ResourceMeta meta) {
    String serviceName = meta.labels().getOrDefault(SERVICE_NAME_LABEL, "");
    List<?> rawPorts = RawFields.list(object, "ports", "ports");
    List<EndpointSliceInfo.Port> ports = new ArrayList<>(rawPorts.size());
    for (int i = 0; i < rawPorts.size(); i++) {
      String p = "ports[" + i + "]";
      Map<?, ?> port = RawFields.element(rawPorts.get(i), p);
      ports.add(
          new EndpointSliceInfo.Port(
              RawFields.string(port, "name", p + ".name"),
              RawFields.integer(port, "port", p + ".port", 0),
              RawFields.string(port, "protocol", p + ".protocol"),
              RawFields.string(port, "appProtocol", p + ".appProtocol")));
    }
    List<?> rawEndpoints = RawFields.list(object, "endpoints", "endpoints");
    List<EndpointSliceInfo.Endpoint> endpoints = new ArrayList<>(rawEndpoints.size());
    for (int i = 0; i < rawEndpoints.size(); i++) {
      String p = "endpoints[" + i + "]";
      Map<?, ?> e = RawFields.element(rawEndpoints.get(i), p);
      Map<?, ?> conditions = RawFields.map(e, "conditions", p + ".conditions");
      Object ready = conditions.get("ready");
      // discovery.k8s.io/v1: "nil should be interpreted as ready".
      boolean isReady = ready == null || Boolean.TRUE.equals(ready) || "true".equals(ready);
      Map<?, ?> targetRef = RawFields.map(e, "targetRef", p + ".targetRef");
      String podName =
          "Pod".equals(RawFields.string(targetRef, "kind", p + ".targetRef.kind"))
              ? RawFields.string(targetRef, "name", p + ".targetRef.name")
              : "";
      String zone = RawFields.string(e, "zone", p + ".zone");
      if (zone.isEmpty()) {
        // discovery.k8s.io/v1beta1 kept the zone in a topology map.
        zone = RawFields.stringMap(e, "topology", p + ".topology").getOrDefault("topology.kubernetes.io/zone", "");
      }
      endpoints.add(
          new EndpointSliceInfo.Endpoint(
              RawFields.stringList(e, "addresses", p + ".addresses"),
              isReady,
              podName,
              RawFields.string(e, "nodeName", p + ".nodeName"),
              zone,
              1));
    }
    return new EndpointSliceInfo(meta, serviceName, ports, endpoints);
  }

  // ---------------------------------------------------------------- messages

  private static String firstLine(String message) {
    if (message == null || message.isBlank()) {
      return "no detail";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message.strip() : message.substring(0, nl).strip();
  }

  private static String shorten(String reason) {
    String oneLine = reason.replace('\n', ' ');
    return oneLine.length() <= MAX_REASON ? oneLine : oneLine.substring(0, MAX_REASON - 3) + "...";
  }
}
