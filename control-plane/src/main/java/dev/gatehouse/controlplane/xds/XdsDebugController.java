package dev.gatehouse.controlplane.xds;

import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.model.Workload;
import dev.gatehouse.xds.ProxyIdentity;
import dev.gatehouse.xds.server.AuthorizationInEffect;
import dev.gatehouse.xds.server.ConfigDumpJson;
import dev.gatehouse.xds.server.ProxyConfig;
import dev.gatehouse.xds.server.ProxySyncStatus;
import dev.gatehouse.xds.server.XdsServer;
import jakarta.servlet.http.HttpServletRequest;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * istiod's xDS debug endpoints (pilot/pkg/xds/debug.go) on the HTTP monitoring port: {@code /debug/syncz},
 * {@code /debug/config_dump?proxyID=}, {@code /debug/connections}, {@code /debug/authorizationz}.
 *
 * <p>Access: only callers connecting from a loopback address (the TCP peer, not a forwarded header) are served; anyone
 * else gets 403. Istio also opens these to xDS-authenticated callers; Gatehouse does not (use
 * {@code kubectl port-forward} or exec into the pod). The data includes every proxy's config, so keep it local.
 */
@RestController
public class XdsDebugController {
  private final XdsServer server;

  public XdsDebugController(XdsServer server) {
    this.server = server;
  }

  /** Whether the TCP peer is a loopback address (the rule for every {@code /debug} endpoint). */
  public static boolean fromLoopback(HttpServletRequest request) {
    try {
      return InetAddress.getByName(request.getRemoteAddr()).isLoopbackAddress();
    } catch (UnknownHostException | SecurityException e) {
      return false;
    }
  }

  private static <T> ResponseEntity<T> forbidden() {
    return ResponseEntity.status(HttpStatus.FORBIDDEN).build();
  }

  /** Per connected proxy and type: versions sent, ACKed and NACKed (with the error), and when. */
  @GetMapping(path = "/debug/syncz", produces = MediaType.APPLICATION_JSON_VALUE)
  public ResponseEntity<List<ProxySyncStatus>> syncz(HttpServletRequest request) {
    return fromLoopback(request) ? ResponseEntity.ok(server.syncStatus()) : forbidden();
  }

  /** Connected streams: who, from which identity, since when. */
  @GetMapping(path = "/debug/connections", produces = MediaType.APPLICATION_JSON_VALUE)
  public ResponseEntity<Map<String, Object>> connections(HttpServletRequest request) {
    if (!fromLoopback(request)) {
      return forbidden();
    }
    List<Map<String, Object>> out = new ArrayList<>();
    for (ProxySyncStatus p : server.syncStatus()) {
      Map<String, Object> c = new LinkedHashMap<>();
      c.put("streamId", p.streamId());
      c.put("nodeId", p.nodeId());
      c.put("proxyKind", p.proxyKind());
      c.put("workload", p.workload());
      c.put("ip", p.ip());
      c.put("caller", p.caller());
      c.put("connectedAt", p.connectedAt().toString());
      out.add(c);
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("totalClients", out.size());
    body.put("clients", out);
    return ResponseEntity.ok(body);
  }

  /** The resources the proxy would get now; {@code proxyID} is {@code <pod>.<namespace>} or a node id. */
  @GetMapping(path = "/debug/config_dump")
  public ResponseEntity<String> configDump(
      @RequestParam(name = "proxyID", required = false) String proxyId, HttpServletRequest request) {
    if (!fromLoopback(request)) {
      return forbidden();
    }
    if (proxyId == null || proxyId.isBlank()) {
      return ResponseEntity.badRequest().contentType(MediaType.TEXT_PLAIN)
          .body("proxyID is required: <pod>.<namespace> or a node id\n");
    }
    Optional<ProxyIdentity> proxy = server.findProxy(proxyId);
    if (proxy.isEmpty()) {
      return ResponseEntity.status(HttpStatus.NOT_FOUND).contentType(MediaType.TEXT_PLAIN)
          .body("no connected proxy and no pod named " + proxyId + "\n");
    }
    Optional<ProxyConfig> config = server.configFor(proxy.get());
    if (config.isEmpty()) {
      return ResponseEntity.status(HttpStatus.INTERNAL_SERVER_ERROR).contentType(MediaType.TEXT_PLAIN)
          .body("translation failed for " + proxyId + "; see the log\n");
    }
    return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(ConfigDumpJson.render(config.get()));
  }

  /**
   * Per workload: the AuthorizationPolicies that attach (name, namespace, action), the invalid ones that fail closed
   * for it, and the translation errors of its config (connected proxies, or the one named). {@code proxyID} narrows it
   * to one pod.
   */
  @GetMapping(path = "/debug/authorizationz", produces = MediaType.APPLICATION_JSON_VALUE)
  public ResponseEntity<List<AuthorizationInEffect.WorkloadAuthorization>> authorizationz(
      @RequestParam(name = "proxyID", required = false) String proxyId, HttpServletRequest request) {
    if (!fromLoopback(request)) {
      return forbidden();
    }
    MeshSnapshot snapshot = server.snapshot();
    java.util.Set<String> connected = new java.util.HashSet<>();
    for (ProxySyncStatus p : server.syncStatus()) {
      connected.add(p.workload());
    }
    List<AuthorizationInEffect.WorkloadAuthorization> out = new ArrayList<>();
    for (Workload w : snapshot.workloads().values()) {
      if (!w.inMesh() || (proxyId != null && !proxyId.equals(w.name() + "." + w.namespace()))) {
        continue;
      }
      // Translation errors come from the proxy's config: computed for connected proxies and an explicit proxyID only.
      List<dev.gatehouse.xds.TranslationError> errors = proxyId == null && !connected.contains(w.key().toString())
          ? List.of()
          : server.findProxy(w.name() + "." + w.namespace()).flatMap(server::configFor).map(ProxyConfig::errors)
              .orElse(List.of());
      out.add(AuthorizationInEffect.of(snapshot, w, errors));
    }
    return ResponseEntity.ok(out);
  }
}
