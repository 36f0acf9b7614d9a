package dev.gatehouse.posture.explain;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.gatehouse.api.istio.security.v1beta1.AuthorizationPolicy;
import dev.gatehouse.api.istio.security.v1beta1.RequestAuthentication;
import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.model.MtlsMode;
import dev.gatehouse.model.ObjectKey;
import dev.gatehouse.model.Policy;
import dev.gatehouse.model.ServiceInfo;
import dev.gatehouse.model.ServicePort;
import dev.gatehouse.model.Workload;
import dev.gatehouse.posture.AppliedPolicies;
import dev.gatehouse.posture.MeshPosture;
import dev.gatehouse.posture.PortModes;
import dev.gatehouse.posture.ProtoJson;
import dev.gatehouse.posture.UnknownWorkload;
import dev.gatehouse.posture.explain.Explanation.Client;
import dev.gatehouse.posture.explain.Explanation.Connection;
import dev.gatehouse.posture.explain.Explanation.Decider;
import dev.gatehouse.posture.explain.Explanation.FilterStep;
import dev.gatehouse.xds.InboundPorts;
import dev.gatehouse.xds.MeshTls;
import dev.gatehouse.xds.OutboundClusterBuilder;
import dev.gatehouse.xds.PortProtocol;
import dev.gatehouse.xds.ProxyResources;
import dev.gatehouse.xds.dataplane.EnvoyFilterChainEvaluator;
import dev.gatehouse.xds.dataplane.EnvoyFilterChainEvaluator.Decision;
import dev.gatehouse.xds.dataplane.EnvoyFilterChainEvaluator.FilterOutcome;
import dev.gatehouse.xds.dataplane.EnvoyFilterChainEvaluator.Request;
import dev.gatehouse.xds.dataplane.EnvoyFilterChainEvaluator.Result;
import dev.gatehouse.xds.dataplane.EnvoyFilterChainEvaluator.Token;
import dev.gatehouse.xds.dataplane.InboundChainSelector;
import dev.gatehouse.xds.dataplane.NotEvaluable;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Works out an {@link ExplainRequest} on the resources Gatehouse sends: the client's own proxy config decides how the
 * connection leaves (its cluster's transport socket, auto-mTLS by endpoint metadata), the destination proxy's listener
 * decides which filter chain takes it (Envoy's filter chain match) and whether mTLS is negotiated, and that chain's
 * filters decide the request ({@link EnvoyFilterChainEvaluator}). Nothing here re-implements Istio's policy
 * semantics, so the answer cannot disagree with what the proxies were sent. Pure.
 */
public final class Explainer {
  /** Istio's RBAC policy names: {@code ns[<ns>]-policy[<name>]-rule[<i>]}, possibly prefixed (CUSTOM). */
  private static final Pattern POLICY_ID =
      Pattern.compile("ns\\[([^\\]]+)\\]-policy\\[([^\\]]+)\\]-(?:rule\\[(\\d+)\\])?");

  private Explainer() {}

  /** How the client's connection leaves. */
  private record Outgoing(
      String who, String principal, String sourceIp, boolean tls, boolean meshCertificate, List<String> alpn,
      String sni, List<StringMatcher> verifiesServerAs, String via, String sends) {}

  public static Explanation explain(MeshPosture mesh, ExplainRequest r) {
    String problem = r.problem();
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
    Workload dest = mesh.workload(r.to()).orElseThrow(() -> new UnknownWorkload(r.to()));
    List<String> notes = new ArrayList<>();
    Optional<ServicePortRef> service = servicePort(mesh.snapshot(), dest, r.port());
    PortProtocol protocol = service.map(s -> PortProtocol.of(s.port())).orElse(PortProtocol.AUTO);
    boolean http = dest.proxylessGrpc() || protocol.isHttp() || r.hasHttpAttributes();
    if (service.isEmpty()) {
      notes.add("no Service targets port " + r.port() + " of " + dest.key() + ": clients reach it by pod IP");
    }
    try {
      Outgoing out = outgoing(mesh, r, dest, service, protocol, http, notes);
      return evaluate(mesh, r, dest, service, protocol, http, out, notes);
    } catch (NotEvaluable e) {
      return new Explanation(Explanation.UNDECIDED, "cannot evaluate the config: " + e.getMessage(), dest.key().toString(),
          r.port(), http ? "http" : "tcp", MeshPosture.proxyName(dest),
          new Client(r.fromPod().isEmpty() ? r.from() : r.fromPod(), "", "", "", ""),
          new Connection("", "", false, ""), List.of(), Decider.none(), List.copyOf(notes));
    }
  }

  private record ServicePortRef(ServiceInfo service, ServicePort port) {}

  private static Optional<ServicePortRef> servicePort(MeshSnapshot s, Workload dest, int port) {
    for (ServiceInfo svc : InboundPorts.servicesSelecting(s, dest)) {
      for (ServicePort sp : svc.ports()) {
        if ("TCP".equalsIgnoreCase(sp.protocol()) && InboundPorts.resolveTargetPort(sp, dest) == port) {
          return Optional.of(new ServicePortRef(svc, sp));
        }
      }
    }
    return Optional.empty();
  }

  // ---- the client side ------------------------------------------------------------------------------------------

  private static Outgoing outgoing(MeshPosture mesh, ExplainRequest r, Workload dest, Optional<ServicePortRef> service,
      PortProtocol protocol, boolean http, List<String> notes) {
    if (!r.from().isEmpty()) {
      List<String> alpn = protocol == PortProtocol.HTTP ? MeshTls.OUTBOUND_HTTP_ALPN
          : protocol == PortProtocol.HTTP2 ? MeshTls.OUTBOUND_H2_HTTP_ALPN : MeshTls.OUTBOUND_ALPN;
      notes.add("--from: a mesh sidecar presenting " + r.from() + "; its source address is unknown (use --from-pod "
          + "for ipBlocks)");
      String sni = service.map(s -> OutboundClusterBuilder.sni(s.port().port(), "", s.service().fqdn())).orElse("");
      return new Outgoing(r.from(), r.from(), "", true, true, alpn, sni, List.of(), "a mesh client certificate", "mTLS");
    }
    if (r.fromPod().isEmpty()) {
      notes.add("no --from or --from-pod: a client without mesh identity, connecting in plaintext");
      return new Outgoing("a client without mesh identity", "", "", false, false, List.of(), "", List.of(), "",
          "plaintext");
    }
    Workload client = mesh.workload(r.fromPod()).orElseThrow(() -> new UnknownWorkload(r.fromPod()));
    String principal = client.inMesh() ? mesh.snapshot().mesh().spiffeId(client.namespace(), client.serviceAccount())
        : "";
    String who = client.key() + " (" + MeshPosture.proxyName(client) + ")";
    if (r.plaintext()) {
      return new Outgoing(who, "", client.ip(), false, false, List.of(), "", List.of(), "--plaintext", "plaintext");
    }
    if (!client.inMesh()) {
      return new Outgoing(who, "", client.ip(), false, false, List.of(), "", List.of(), "no proxy", "plaintext");
    }
    if (service.isEmpty()) {
      String via = client.hasSidecar() ? "PassthroughCluster (original destination, no TLS)" : "no cluster";
      return new Outgoing(who, "", client.ip(), false, false, List.of(), "", List.of(), via, "plaintext");
    }
    ServicePortRef ref = service.get();
    String name = OutboundClusterBuilder.clusterName(ref.port().port(), "", ref.service().fqdn());
    ProxyResources res = mesh.resources(client);
    Cluster cluster = (Cluster) res.of(ProxyResources.CLUSTER).get(name);
    if (cluster == null) {
      notes.add("the client's proxy has no cluster " + name + " (the Service is not visible to " + client.namespace()
          + ", or its config failed); a sidecar sends such traffic to PassthroughCluster in plaintext");
      return new Outgoing(who, "", client.ip(), false, false, List.of(), "", List.of(),
          client.hasSidecar() ? "PassthroughCluster (no cluster " + name + ")" : "no cluster " + name, "plaintext");
    }
    String via = "cluster " + name;
    TransportSocket socket = null;
    if (cluster.hasTransportSocket()) {
      socket = cluster.getTransportSocket();
      via += " transport_socket";
    } else if (cluster.getTransportSocketMatchesCount() > 0) {
      Struct endpointMatch = endpointMetadata(res, cluster, dest, notes);
      for (Cluster.TransportSocketMatch m : cluster.getTransportSocketMatchesList()) {
        if (matches(m.getMatch(), endpointMatch)) {
          socket = m.getTransportSocket();
          via += " transport_socket_match " + m.getName();
          break;
        }
      }
    }
    if (socket == null || !socket.getTypedConfig().getTypeUrl().endsWith("UpstreamTlsContext")) {
      return new Outgoing(who, "", client.ip(), false, false, List.of(), "", List.of(), via, "plaintext");
    }
    UpstreamTlsContext ctx = unpack(socket, UpstreamTlsContext.class);
    CommonTlsContext common = ctx.getCommonTlsContext();
    boolean meshCert = common.getTlsCertificateSdsSecretConfigsList().stream()
        .anyMatch(c -> c.getName().equals(MeshTls.WORKLOAD_CERT))
        || common.getTlsCertificateProviderInstance().getCertificateName().equals(MeshTls.WORKLOAD_CERT);
    List<StringMatcher> sans = new ArrayList<>();
    CertificateValidationContext v = common.hasCombinedValidationContext()
        ? common.getCombinedValidationContext().getDefaultValidationContext() : common.getValidationContext();
    v.getMatchTypedSubjectAltNamesList().forEach(m -> sans.add(m.getMatcher()));
    sans.addAll(v.getMatchSubjectAltNamesList());
    return new Outgoing(who, meshCert ? principal : "", client.ip(), true, meshCert, common.getAlpnProtocolsList(),
        ctx.getSni(), sans, via, meshCert ? "mTLS" : "TLS without a mesh certificate");
  }

  /** The destination pod's endpoint metadata for transport socket matching, from the client's own endpoints. */
  private static Struct endpointMetadata(ProxyResources res, Cluster cluster, Workload dest, List<String> notes) {
    String edsName = cluster.getEdsClusterConfig().getServiceName().isEmpty() ? cluster.getName()
        : cluster.getEdsClusterConfig().getServiceName();
    ClusterLoadAssignment cla = (ClusterLoadAssignment) res.of(ProxyResources.ENDPOINT).get(edsName);
    if (cla != null) {
      for (LocalityLbEndpoints l : cla.getEndpointsList()) {
        for (LbEndpoint e : l.getLbEndpointsList()) {
          if (e.getEndpoint().getAddress().getSocketAddress().getAddress().equals(dest.ip())) {
            return e.getMetadata().getFilterMetadataOrDefault(OutboundClusterBuilder.TRANSPORT_SOCKET_MATCH,
                Struct.getDefaultInstance());
          }
        }
      }
    }
    notes.add("the client's endpoints for " + edsName + " do not list " + dest.ip()
        + " (pod not ready or not selected); shown as the cluster's default transport");
    return Struct.getDefaultInstance();
  }

  /** Envoy: every field of the match must be present with the same value in the endpoint's metadata. */
  private static boolean matches(Struct match, Struct metadata) {
    for (Map.Entry<String, Value> e : match.getFieldsMap().entrySet()) {
      if (!e.getValue().equals(metadata.getFieldsMap().get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  // ---- the destination side -------------------------------------------------------------------------------------

  private static Explanation evaluate(MeshPosture mesh, ExplainRequest r, Workload dest,
      Optional<ServicePortRef> service, PortProtocol protocol, boolean http, Outgoing out, List<String> notes) {
    Client client = new Client(out.who(), out.principal(), out.sourceIp(), out.sends(), out.via());
    String destination = dest.key().toString();
    String proto = http ? "http" : "tcp";
    String proxy = MeshPosture.proxyName(dest);
    String destIdentity = mesh.snapshot().mesh().spiffeId(dest.namespace(), dest.serviceAccount());

    if (out.tls() && out.meshCertificate() && !out.verifiesServerAs().isEmpty() && dest.inMesh()
        && out.verifiesServerAs().stream().noneMatch(m -> EnvoyFilterChainEvaluator.string(m, destIdentity))) {
      return denied(r, destination, proto, proxy, client, new Connection("", "", false, ""),
          "the client's TLS context does not accept the pod's identity " + destIdentity
              + " (the Service's identities are its selected pods' service accounts)", Decider.none(), notes);
    }
    if (!dest.inMesh()) {
      if (out.tls()) {
        Decider d = destinationRule(mesh, r, service);
        return denied(r, destination, proto, proxy, client, new Connection("", "", false, ""),
            "the client sends TLS but " + destination + " has no proxy to terminate it: the handshake fails", d,
            notes);
      }
      notes.add("no proxy: nothing enforces peer authentication or authorization for " + destination);
      return new Explanation(Explanation.ALLOW, destination + " has no proxy: the connection reaches the app in "
          + "plaintext, no policy is enforced", destination, r.port(), proto, proxy, client,
          new Connection("", "", false, ""), List.of(), Decider.none(), List.copyOf(notes));
    }

    Optional<Listener> listener = mesh.inboundListener(dest, r.port());
    if (listener.isEmpty()) {
      String why = dest.proxylessGrpc()
          ? "the pod's gRPC server gets no xDS listener for port " + r.port() + " (no Service targets it)"
          : "the pod's proxy has no inbound listener";
      return denied(r, destination, proto, proxy, client, new Connection("", "", false, ""), why, Decider.none(),
          notes);
    }
    String transport = out.tls() ? "tls" : "raw_buffer";
    List<String> alpn = out.tls() ? out.alpn()
        : http ? List.of(protocol == PortProtocol.HTTP2 ? "h2c" : "http/1.1") : List.of();
    // grpc-java selects its (single) chain before any handshake; Envoy looks at the ClientHello.
    InboundChainSelector.Connection c = new InboundChainSelector.Connection(r.port(),
        dest.proxylessGrpc() ? "raw_buffer" : transport, dest.proxylessGrpc() ? List.of() : alpn);
    Optional<FilterChain> selected = InboundChainSelector.select(listener.get(), c);
    String listenerName = listener.get().getName();
    if (selected.isEmpty()) {
      MtlsMode mode = PortModes.mode(mesh, dest, r.port());
      return denied(r, destination, proto, proxy, client, new Connection(listenerName, "", false, ""),
          "refused: no filter chain of " + listenerName + " takes a " + (out.tls() ? "TLS" : "plaintext")
              + " connection on port " + r.port() + " (mode " + mode + ")",
          peerAuthentication(mesh, dest, r.port()), notes);
    }
    FilterChain chain = selected.get();
    boolean terminates = MeshPosture.terminatesTls(chain);
    String peer = "";
    if (terminates) {
      if (!out.tls()) {
        return denied(r, destination, proto, proxy, client, new Connection(listenerName, chain.getName(), false, ""),
            "refused: the server requires mTLS on port " + r.port() + " (mode "
                + PortModes.mode(mesh, dest, r.port()) + ") and the client sends plaintext",
            peerAuthentication(mesh, dest, r.port()), notes);
      }
      if (!out.meshCertificate()) {
        return denied(r, destination, proto, proxy, client, new Connection(listenerName, chain.getName(), false, ""),
            "the TLS handshake fails: the server requires a client certificate from the mesh CA",
            destinationRule(mesh, r, Optional.empty()), notes);
      }
      DownstreamTlsContext server = unpack(chain.getTransportSocket(), DownstreamTlsContext.class);
      CommonTlsContext common = server.getCommonTlsContext();
      CertificateValidationContext v = common.hasCombinedValidationContext()
          ? common.getCombinedValidationContext().getDefaultValidationContext() : common.getValidationContext();
      List<SubjectAltNameMatcher> sans = v.getMatchTypedSubjectAltNamesList();
      if (!sans.isEmpty() && sans.stream().noneMatch(m -> EnvoyFilterChainEvaluator.string(m.getMatcher(), out.principal()))) {
        return denied(r, destination, proto, proxy, client, new Connection(listenerName, chain.getName(), false, ""),
            "the TLS handshake fails: " + out.principal() + " is not in a trust domain the server accepts",
            Decider.none(), notes);
      }
      peer = out.principal();
    } else if (out.tls()) {
      if (dest.proxylessGrpc()) {
        return denied(r, destination, proto, proxy, client, new Connection(listenerName, chain.getName(), false, ""),
            "the gRPC server serves port " + r.port() + " in plaintext (mode " + PortModes.mode(mesh, dest, r.port())
                + "; proxyless PERMISSIVE is plaintext) and the client's mTLS handshake fails",
            peerAuthentication(mesh, dest, r.port()), notes);
      }
      notes.add("chain " + chain.getName() + " passes the TLS connection to the app without terminating it: the "
          + "filters see no peer identity");
    }
    Connection connection = new Connection(listenerName, chain.getName(), terminates, peer);

    Optional<HttpConnectionManager> hcm = hcm(chain);
    Result result;
    boolean asHttp = hcm.isPresent();
    if (asHttp) {
      if (!http) {
        notes.add("chain " + chain.getName() + " parses HTTP: evaluated as GET /");
      }
      Request req = new Request(true,
          r.method().isEmpty() ? (dest.proxylessGrpc() ? "POST" : "GET") : r.method(),
          r.path().isEmpty() ? "/" : r.path(),
          r.host().isEmpty() ? service.map(s -> s.service().fqdn()).orElse(dest.ip()) : r.host(),
          r.headers(), r.port(), peer.isEmpty() ? null : peer, out.sourceIp(), out.sourceIp(), dest.ip(),
          terminates ? out.sni() : "", r.jwtClaims().isEmpty() ? null : Token.bearer(r.jwtClaims()), true, Map.of());
      result = EnvoyFilterChainEvaluator.traceHttp(hcm.get().getHttpFiltersList(), req);
    } else {
      if (r.hasHttpAttributes()) {
        notes.add("chain " + chain.getName() + " is TCP: HTTP attributes (method, path, headers, token) play no part");
      }
      Request req = new Request(false, "", "", "", Map.of(), r.port(), peer.isEmpty() ? null : peer, out.sourceIp(),
          out.sourceIp(), dest.ip(), terminates ? out.sni() : "", null, true, Map.of());
      result = EnvoyFilterChainEvaluator.traceTcp(chain.getFiltersList(), req);
    }
    return verdict(mesh, r, dest, destination, asHttp ? "http" : "tcp", proxy, client, connection, result, notes);
  }

  private static Optional<HttpConnectionManager> hcm(FilterChain chain) {
    for (Filter f : chain.getFiltersList()) {
      if (f.getTypedConfig().getTypeUrl().endsWith("HttpConnectionManager")) {
        return Optional.of(unpack(f.getTypedConfig(), HttpConnectionManager.class));
      }
    }
    return Optional.empty();
  }

  // ---- the verdict ------------------------------------------------------------------------------------------------

  private static Explanation verdict(MeshPosture mesh, ExplainRequest r, Workload dest, String destination,
      String proto, String proxy, Client client, Connection connection, Result result, List<String> notes) {
    List<FilterStep> steps = new ArrayList<>();
    for (FilterOutcome f : result.filters()) {
      steps.add(new FilterStep(f.filter(), f.type(), f.action(), f.decision() == Decision.ALLOW ? "PASS" : "DENY",
          f.matchedPolicy(), f.shadowMatchedPolicy(), f.policies(), f.detail()));
      if (f.type().equals("rbac") && f.action().equals("LOG") && !f.matchedPolicy().isEmpty()) {
        notes.add("audited (AUDIT) by " + ref(f.matchedPolicy()));
      }
      if (f.type().equals("rbac") && !f.shadowMatchedPolicy().isEmpty() && !f.shadowMatchedPolicy().startsWith("istio-ext-authz")) {
        notes.add("dry-run policy " + ref(f.shadowMatchedPolicy()) + " matched: it would have "
            + (f.shadowAction().equals("ALLOW") ? "allowed" : "denied") + " this request if enforced");
      }
    }
    String mtls = connection.mtls() ? "over mTLS as " + connection.peerPrincipal() : "without mTLS";
    FilterOutcome decider = result.decidingFilter().orElse(null);
    switch (result.decision()) {
      case ALLOW -> {
        Optional<FilterOutcome> allow = result.filters().stream()
            .filter(f -> f.type().equals("rbac") && f.action().equals("ALLOW") && !f.matchedPolicy().isEmpty())
            .findFirst();
        Decider d = allow.map(f -> decider(mesh.snapshot(), f.matchedPolicy(), "ALLOW")).orElse(Decider.none());
        if (result.extAuthzCalled()) {
          return new Explanation(Explanation.UNDECIDED, "the CUSTOM provider decides: Gatehouse's policies let the "
              + "request through " + mtls + " and ask ext_authz", destination, r.port(), proto, proxy, client,
              connection, steps, customDecider(mesh, result), List.copyOf(notes));
        }
        String reason = allow.isPresent()
            ? "allowed " + mtls + " by ALLOW rule " + ref(allow.get().matchedPolicy())
            : "allowed " + mtls + ": no DENY rule matched and no ALLOW policy applies";
        return new Explanation(Explanation.ALLOW, reason, destination, r.port(), proto, proxy, client, connection, steps,
            d, List.copyOf(notes));
      }
      case REJECT_JWT -> {
        Decider d = new Decider("RequestAuthentication", requestAuthentications(mesh, dest), "", -1, null);
        return new Explanation(Explanation.DENY, "rejected (401) by jwt_authn: " + (decider == null ? "" : decider.detail()),
            destination, r.port(), proto, proxy, client, connection, steps, d, List.copyOf(notes));
      }
      case DENY_EXT_AUTHZ -> {
        return new Explanation(Explanation.DENY, "denied by the CUSTOM provider", destination, r.port(), proto, proxy,
            client, connection, steps, customDecider(mesh, result), List.copyOf(notes));
      }
      default -> {
        if (decider != null && decider.action().equals("DENY") && !decider.matchedPolicy().isEmpty()) {
          Decider d = decider(mesh.snapshot(), decider.matchedPolicy(),
              decider.matchedPolicy().startsWith("istio-ext-authz") || decider.matchedPolicy().contains("CUSTOM")
                  ? "CUSTOM" : "DENY");
          String why = decider.matchedPolicy().contains("bad-CUSTOM")
              ? "denied: CUSTOM policy " + ref(decider.matchedPolicy()) + " cannot be sent to its provider (fails closed)"
              : "denied by DENY rule " + ref(decider.matchedPolicy());
          return new Explanation(Explanation.DENY, why + " (" + mtls + ")", destination, r.port(), proto, proxy, client,
              connection, steps, d, List.copyOf(notes));
        }
        Set<String> considered = new LinkedHashSet<>();
        if (decider != null) {
          decider.policies().forEach(p -> considered.add(ref(p).replaceAll(" rule \\d+$", "")));
        }
        Decider d = new Decider("AuthorizationPolicy", String.join(", ", considered), "ALLOW", -1, null);
        return new Explanation(Explanation.DENY, "denied: no ALLOW rule matches (" + mtls + "; ALLOW policies: "
            + String.join(", ", considered) + ")", destination, r.port(), proto, proxy, client, connection, steps, d,
            List.copyOf(notes));
      }
    }
  }

  private static Explanation denied(ExplainRequest r, String destination, String proto, String proxy, Client client,
      Connection connection, String reason, Decider decider, List<String> notes) {
    return new Explanation(Explanation.DENY, reason, destination, r.port(), proto, proxy, client, connection,
        List.of(), decider, List.copyOf(notes));
  }

  private static Decider customDecider(MeshPosture mesh, Result result) {
    for (FilterOutcome f : result.filters()) {
      if (!f.shadowMatchedPolicy().isEmpty() && f.shadowMatchedPolicy().startsWith("istio-ext-authz")) {
        return decider(mesh.snapshot(), f.shadowMatchedPolicy(), "CUSTOM");
      }
    }
    return Decider.none();
  }

  private static Decider peerAuthentication(MeshPosture mesh, Workload dest, int port) {
    String by = PortModes.decidedBy(mesh, dest, port);
    String kind = by.startsWith("PeerAuthentication") ? "PeerAuthentication" : "";
    return new Decider(kind, by.startsWith("PeerAuthentication ") ? by.substring("PeerAuthentication ".length()) : by,
        PortModes.mode(mesh, dest, port).name(), -1, null);
  }

  private static Decider destinationRule(MeshPosture mesh, ExplainRequest r, Optional<ServicePortRef> service) {
    if (service.isEmpty() || r.fromPod().isEmpty()) {
      return Decider.none();
    }
    Optional<Workload> client = mesh.workload(r.fromPod());
    if (client.isEmpty()) {
      return Decider.none();
    }
    return new dev.gatehouse.xds.DestinationRuleIndex(mesh.snapshot())
        .forService(service.get().service(), client.get().namespace())
        .map(p -> new Decider("DestinationRule", p.key().toString(), "", -1, null))
        .orElse(Decider.none());
  }

  private static String requestAuthentications(MeshPosture mesh, Workload dest) {
    List<String> names = new ArrayList<>();
    for (Policy<RequestAuthentication> p : AppliedPolicies.authentication(mesh.snapshot(), dest)) {
      names.add(p.key().toString());
    }
    AppliedPolicies.invalid(mesh.snapshot(), dest, dev.gatehouse.model.PolicyKind.REQUEST_AUTHENTICATION)
        .forEach(p -> names.add(p.key() + " (invalid)"));
    return String.join(", ", names);
  }

  /** "shop/deny-legacy rule 0" for {@code ns[shop]-policy[deny-legacy]-rule[0]}. */
  static String ref(String policyId) {
    Matcher m = POLICY_ID.matcher(policyId);
    if (!m.find()) {
      return policyId;
    }
    return m.group(1) + "/" + m.group(2) + (m.group(3) != null ? " rule " + m.group(3) : "");
  }

  private static Decider decider(MeshSnapshot s, String policyId, String action) {
    Matcher m = POLICY_ID.matcher(policyId);
    if (!m.find()) {
      return new Decider("AuthorizationPolicy", policyId, action, -1, null);
    }
    String policy = m.group(1) + "/" + m.group(2);
    int rule = m.group(3) == null ? -1 : Integer.parseInt(m.group(3));
    Object spec = null;
    for (Policy<AuthorizationPolicy> p : s.authorizationPoliciesIn(m.group(1))) {
      if (p.key().equals(ObjectKey.of(m.group(1), m.group(2)))) {
        if (rule >= 0 && rule < p.spec().getRulesCount()) {
          spec = ProtoJson.tree(p.spec().getRules(rule));
        }
        if (p.spec().getRulesCount() == 0) {
          rule = -1; // Istio's placeholder rule[0] of a policy without rules
        }
      }
    }
    return new Decider("AuthorizationPolicy", policy, action, rule, spec);
  }

  private static <T extends Message> T unpack(TransportSocket socket, Class<T> type) {
    return unpack(socket.getTypedConfig(), type);
  }

  private static <T extends Message> T unpack(com.google.protobuf.Any any, Class<T> type) {
    try {
      return any.unpack(type);
    } catch (InvalidProtocolBufferException e) {
      throw new NotEvaluable("cannot unpack " + any.getTypeUrl(), e);
    }
  }
}
