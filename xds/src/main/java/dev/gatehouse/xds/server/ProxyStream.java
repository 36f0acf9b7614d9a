package dev.gatehouse.xds.server;

import com.google.protobuf.Any;
import dev.gatehouse.xds.ProxyIdentity;
import io.envoyproxy.controlplane.cache.DeltaResponse;
import io.envoyproxy.controlplane.cache.DeltaWatch;
import io.envoyproxy.controlplane.cache.Response;
import io.envoyproxy.controlplane.cache.VersionedResource;
import io.envoyproxy.controlplane.cache.Watch;
import io.envoyproxy.controlplane.cache.WatchCancelledException;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One xDS stream (ADS, or one per-type stream) and what it has been sent, acked and nacked, per type.
 *
 * <p>Sending rules: a type is answered when the proxy's content for it differs from what it holds (SotW: the version it
 * requested with; delta: the per-resource versions it holds), and always on the first request of a stream, so a
 * reconnecting proxy gets its config at once. On delta streams what the proxy holds starts from the
 * {@code initial_resource_versions} of its first request for the type (java-control-plane ignores them), so a
 * reconnecting proxy gets only what changed while it was away, and removals of names it still holds. A NACKed version is not sent again until the config changes or the
 * back-off has passed (java-control-plane's SimpleCache re-sends it immediately, a NACK storm).
 *
 * <p>Thread-safety: all state is guarded by {@code this}. Watches are answered while holding the lock; the server's
 * executor is direct and gRPC's {@code onNext} does not block, so a slow proxy only buffers its own (at most one
 * unacknowledged response per type, because a new watch is only opened after an ACK or NACK).
 */
final class ProxyStream {
  private static final Logger log = LoggerFactory.getLogger(ProxyStream.class);

  final long id;
  final String defaultTypeUrl;
  final StreamCaller caller;
  final Instant openedAt;
  private final ProxyConfigCache owner;

  private Node node;
  private ProxyIdentity identity;
  private ProxyConfig config;
  private long configSnapshotVersion = -1;
  private long configReceivedNanos;
  private final Map<String, TypeState> types = new TreeMap<>();

  private static final class TypeState {
    Watch watch;
    DeltaWatch deltaWatch;
    boolean delta;
    boolean answered;
    String sentVersion = "";
    String sentNonce = "";
    Instant sentAt;
    /** SotW: the names of the resources in the last response sent. */
    java.util.Collection<String> sentNames = List.of();
    String ackedVersion = "";
    Instant ackedAt;
    /** The last NACK of this type on this stream (kept after a later ACK, for /debug/syncz); null before any. */
    Nack lastNack;
    /** The proxy's last answer for this type was a NACK (no ACK since). */
    boolean rejecting;
    long nackedAtNanos;
    boolean retryScheduled;
    /** Delta: unanswered responses by nonce. */
    final Map<String, DeltaSent> deltaSent = new HashMap<>();
    /**
     * Delta: what the proxy said it held when the stream started (initial_resource_versions), name -> version, for
     * names no ACKed response on this stream has covered since (java-control-plane tracks those).
     */
    final Map<String, String> initial = new HashMap<>();
    boolean deltaRequested;
    long changeStartNanos;
    long inflightChangeStartNanos;
  }

  /**
   * A delta response sent and not yet ACKed or NACKed: its system version and the names it sent or removed that were
   * in the initial versions (so only reconnected streams keep more than a version per response).
   */
  private record DeltaSent(String version, List<String> coveredInitial, List<String> names) {}

  ProxyStream(long id, String defaultTypeUrl, StreamCaller caller, ProxyConfigCache owner) {
    this.id = id;
    this.defaultTypeUrl = defaultTypeUrl;
    this.caller = caller;
    this.owner = owner;
    this.openedAt = owner.clock().instant();
  }

  synchronized boolean identified() {
    return identity != null;
  }

  synchronized ProxyIdentity identity() {
    return identity;
  }

  synchronized Node node() {
    return node;
  }

  synchronized ProxyConfig config() {
    return config;
  }

  synchronized void identify(Node node, ProxyIdentity identity) {
    this.node = node;
    this.identity = identity;
  }

  String typeOf(String requestTypeUrl) {
    return requestTypeUrl.isEmpty() ? defaultTypeUrl : requestTypeUrl;
  }

  /**
   * Installs the config computed from snapshot {@code snapshotVersion} and answers open watches whose content changed.
   * Configs from older snapshots than the current one are ignored (a push and a connect may race).
   */
  synchronized void update(ProxyConfig next, long snapshotVersion, long receivedNanos) {
    if (snapshotVersion < configSnapshotVersion || next == config) {
      return;
    }
    ProxyConfig previous = config;
    config = next;
    configSnapshotVersion = snapshotVersion;
    configReceivedNanos = receivedNanos;
    for (Map.Entry<String, TypeState> e : types.entrySet()) {
      String type = e.getKey();
      TypeState ts = e.getValue();
      if (previous != null && !previous.type(type).version().equals(next.type(type).version())
          && ts.changeStartNanos == 0) {
        ts.changeStartNanos = receivedNanos;
      }
      respond(type, ts);
    }
  }

  synchronized void sotwWatch(String type, Watch watch) {
    TypeState ts = state(type);
    ts.watch = watch;
    ts.delta = false;
    watch.setStop(() -> clearWatch(type, watch));
    respond(type, ts);
  }

  synchronized void deltaWatch(String type, DeltaWatch watch) {
    TypeState ts = state(type);
    ts.deltaWatch = watch;
    ts.delta = true;
    watch.setStop(() -> clearWatch(type, watch));
    respond(type, ts);
  }

  private synchronized void clearWatch(String type, Object watch) {
    TypeState ts = types.get(type);
    if (ts != null) {
      if (ts.watch == watch) {
        ts.watch = null;
      }
      if (ts.deltaWatch == watch) {
        ts.deltaWatch = null;
      }
    }
  }

  /**
   * A state-of-the-world request: an ACK or NACK when its nonce is the last one sent for the type.
   *
   * @param errorDetail the request's {@code error_detail} (a NACK), or null (an ACK)
   */
  synchronized void onRequest(String type, String nonce, String versionInfo, com.google.rpc.Status errorDetail) {
    TypeState ts = state(type);
    if (nonce.isEmpty() || !nonce.equals(ts.sentNonce)) {
      return;
    }
    if (errorDetail != null) {
      nack(type, ts, ts.sentVersion, errorDetail, ts.sentNames);
    } else {
      ack(ts, versionInfo);
    }
  }

  /**
   * A delta request (before the server opens the next watch): the first one for a type says what the proxy already
   * holds; unsubscribed names are dropped from what it holds (a client forgets them); a nonce ACKs or NACKs that
   * response.
   */
  synchronized void onDeltaRequest(String type, DeltaDiscoveryRequest request, com.google.rpc.Status errorDetail) {
    TypeState ts = state(type);
    if (!ts.deltaRequested) {
      ts.deltaRequested = true;
      ts.initial.putAll(request.getInitialResourceVersionsMap());
    }
    for (String name : request.getResourceNamesUnsubscribeList()) {
      ts.initial.remove(name);
    }
    String nonce = request.getResponseNonce();
    if (nonce.isEmpty()) {
      return;
    }
    DeltaSent sent = ts.deltaSent.remove(nonce);
    if (sent == null) {
      return;
    }
    if (errorDetail != null) {
      nack(type, ts, sent.version(), errorDetail, sent.names());
    } else {
      // java-control-plane now tracks what this response sent and forgets what it removed.
      for (String name : sent.coveredInitial()) {
        ts.initial.remove(name);
      }
      ack(ts, sent.version());
    }
  }

  /** Called (on the sending thread) just before a SotW response goes out, with the nonce the server chose. */
  synchronized void onResponse(String type, String nonce, String version, int resources, long bytes) {
    sent(type, nonce, version, resources, bytes);
  }

  /** Called (on the sending thread) just before a delta response goes out, with the nonce the server chose. */
  synchronized void onDeltaResponse(String type, DeltaDiscoveryResponse response, long bytes) {
    TypeState ts = sent(type, response.getNonce(), response.getSystemVersionInfo(), response.getResourcesCount(), bytes);
    List<String> names = new ArrayList<>(response.getResourcesCount() + response.getRemovedResourcesCount());
    for (Resource r : response.getResourcesList()) {
      names.add(r.getName());
    }
    names.addAll(response.getRemovedResourcesList());
    List<String> covered = List.of();
    if (!ts.initial.isEmpty()) {
      covered = new ArrayList<>();
      for (Resource r : response.getResourcesList()) {
        if (ts.initial.containsKey(r.getName())) {
          covered.add(r.getName());
        }
      }
      for (String name : response.getRemovedResourcesList()) {
        if (ts.initial.containsKey(name)) {
          covered.add(name);
        }
      }
    }
    ts.deltaSent.put(response.getNonce(), new DeltaSent(response.getSystemVersionInfo(), covered, names));
  }

  private TypeState sent(String type, String nonce, String version, int resources, long bytes) {
    TypeState ts = state(type);
    ts.sentNonce = nonce;
    ts.sentVersion = version;
    ts.sentAt = owner.clock().instant();
    owner.events().pushed(type, resources, bytes);
    return ts;
  }

  private void ack(TypeState ts, String version) {
    ts.rejecting = false;
    ts.ackedVersion = version;
    ts.ackedAt = owner.clock().instant();
    if (ts.inflightChangeStartNanos != 0 && version.equals(ts.sentVersion)) {
      owner.events().converged(Duration.ofNanos(System.nanoTime() - ts.inflightChangeStartNanos));
      ts.inflightChangeStartNanos = 0;
    }
  }

  private void nack(String type, TypeState ts, String version, com.google.rpc.Status detail,
      java.util.Collection<String> sentNames) {
    String error = detail.getMessage().isEmpty() ? "code " + detail.getCode() : detail.getMessage();
    Nack nack = new Nack(type, version, detail.getCode(), error, NackedResources.culprits(error, sentNames),
        owner.clock().instant());
    ts.lastNack = nack;
    ts.rejecting = true;
    ts.nackedAtNanos = System.nanoTime();
    ts.inflightChangeStartNanos = 0;
    String nodeId = node == null ? "" : node.getId();
    // istiod's proxy ID (<pod>.<namespace>), the node label of its reject metrics.
    owner.events().rejected(nack, identity == null ? nodeId
        : identity.workload().name() + "." + identity.workload().namespace());
    log.warn("xDS NACK from {} (stream {}) for {} version {}, resource(s) {}: {} {}; not re-sending it for {} unless"
        + " the config changes", nodeId.isEmpty() ? "?" : nodeId, id, shortType(type), version,
        NackedResources.describe(nack.resources()), nack.errLabel(), error, owner.nackBackoff());
  }

  /** Back-off timer fired: the NACKed version may be sent once more. */
  synchronized void retry(String type) {
    TypeState ts = types.get(type);
    if (ts != null) {
      ts.retryScheduled = false;
      respond(type, ts);
    }
  }

  private void respond(String type, TypeState ts) {
    if (config == null) {
      return;
    }
    if (ts.delta) {
      respondDelta(type, ts);
    } else {
      respondSotw(type, ts);
    }
  }

  private void respondSotw(String type, TypeState ts) {
    Watch w = ts.watch;
    if (w == null || w.isCancelled()) {
      return;
    }
    TypeResources tr = config.type(type);
    List<String> names = w.request().getResourceNamesList();
    List<Any> resources;
    String version;
    java.util.Collection<String> sentNames;
    if (names.isEmpty() || names.contains("*")) {
      resources = tr.allPacked();
      version = tr.version();
      sentNames = tr.resources().keySet();
    } else {
      TypeResources.Named n = tr.named(names);
      resources = n.resources();
      version = n.version();
      sentNames = names;
    }
    if (ts.answered && version.equals(w.request().getVersionInfo())) {
      ts.changeStartNanos = 0;
      return;
    }
    if (heldByBackoff(type, ts, version)) {
      return;
    }
    ts.watch = null;
    ts.sentNames = sentNames;
    try {
      markInflight(ts);
      w.respond(Response.create(w.request(), resources, version));
      ts.answered = true;
    } catch (WatchCancelledException e) {
      ts.inflightChangeStartNanos = 0;
    }
  }

  private void respondDelta(String type, TypeState ts) {
    DeltaWatch w = ts.deltaWatch;
    if (w == null || w.isCancelled()) {
      return;
    }
    TypeResources tr = config.type(type);
    // What the proxy holds: java-control-plane's trackedResources (ACKed on this stream), else its initial versions.
    Map<String, String> tracked = w.trackedResources();
    Map<String, String> initial = ts.initial;
    // Insertion-ordered: both loops below visit names in sorted order, so responses list resources sorted.
    Map<String, VersionedResource<?>> send;
    List<String> removed = new ArrayList<>();
    if (tracked.isEmpty() && initial.isEmpty() && (w.isWildcard() || asksForAll(w.pendingResources(), tr))) {
      // Holds nothing and wants everything there is (a first connect): the shared whole-type answer.
      send = tr.allVersioned();
    } else if (w.isWildcard()) {
      send = new LinkedHashMap<>();
      for (SerializedResource r : tr.resources().values()) {
        if (!r.version().equals(held(tracked, initial, r.name()))) {
          send.put(r.name(), VersionedResource.create(r.delta(), r.version()));
        }
      }
      for (String name : tracked.keySet()) {
        if (!tr.resources().containsKey(name)) {
          removed.add(name);
        }
      }
      for (String name : initial.keySet()) {
        if (!tracked.containsKey(name) && !tr.resources().containsKey(name)) {
          removed.add(name);
        }
      }
    } else {
      send = new LinkedHashMap<>();
      // The subscription is java-control-plane's (it applies subscribes and unsubscribes).
      Set<String> subscribed = new TreeSet<>(tracked.keySet());
      subscribed.addAll(w.pendingResources());
      for (String name : subscribed) {
        SerializedResource r = tr.resources().get(name);
        String held = held(tracked, initial, name);
        if (r != null && !r.version().equals(held)) {
          send.put(name, VersionedResource.create(r.delta(), r.version()));
        } else if (r == null && held != null) {
          removed.add(name);
        }
      }
    }
    // Always answer a stream's first request, even with nothing: Envoy's initialisation waits for it.
    if (send.isEmpty() && removed.isEmpty() && ts.answered) {
      ts.changeStartNanos = 0;
      return;
    }
    String version = tr.version();
    if (heldByBackoff(type, ts, version)) {
      return;
    }
    ts.deltaWatch = null;
    try {
      markInflight(ts);
      w.respond(DeltaResponse.create(w.request(), send, removed, version));
      ts.answered = true;
    } catch (WatchCancelledException e) {
      ts.inflightChangeStartNanos = 0;
    }
  }

  /** True when the subscription names exactly the type's resources (as a first EDS request names CDS's clusters). */
  private static boolean asksForAll(Set<String> subscribed, TypeResources tr) {
    return subscribed.size() == tr.resources().size() && subscribed.containsAll(tr.resources().keySet());
  }

  private static String held(Map<String, String> tracked, Map<String, String> initial, String name) {
    String v = tracked.get(name);
    return v != null ? v : initial.get(name);
  }

  private void markInflight(TypeState ts) {
    ts.inflightChangeStartNanos = ts.changeStartNanos;
    ts.changeStartNanos = 0;
  }

  private boolean heldByBackoff(String type, TypeState ts, String version) {
    if (ts.lastNack == null || !version.equals(ts.lastNack.version())) {
      return false;
    }
    long due = ts.nackedAtNanos + owner.nackBackoff().toNanos();
    long now = System.nanoTime();
    if (now - due >= 0) {
      return false;
    }
    if (!ts.retryScheduled) {
      ts.retryScheduled = true;
      owner.scheduleRetry(this, type, Duration.ofNanos(due - now));
    }
    return true;
  }

  private TypeState state(String type) {
    return types.computeIfAbsent(type, t -> new TypeState());
  }

  /** Whether the proxy's last answer for {@code type} (any type when null) is a NACK. Cheaper than {@link #status()}. */
  synchronized boolean rejecting(String type) {
    for (Map.Entry<String, TypeState> e : types.entrySet()) {
      if (e.getValue().rejecting && (type == null || type.equals(e.getKey()))) {
        return true;
      }
    }
    return false;
  }

  synchronized ProxySyncStatus status() {
    List<TypeSyncStatus> out = new ArrayList<>();
    Nack lastNack = null;
    boolean stuck = false;
    for (Map.Entry<String, TypeState> e : types.entrySet()) {
      TypeState ts = e.getValue();
      TypeResources tr = config == null ? null : config.type(e.getKey());
      if (ts.lastNack != null && (lastNack == null || ts.lastNack.at().isAfter(lastNack.at()))) {
        lastNack = ts.lastNack;
      }
      stuck |= ts.rejecting;
      out.add(TypeSyncStatus.of(
          e.getKey(),
          tr == null ? 0 : tr.resources().size(),
          tr == null ? "" : tr.version(),
          ts.sentVersion,
          ts.sentNonce,
          ts.sentAt,
          ts.ackedVersion,
          ts.ackedAt,
          ts.lastNack,
          ts.rejecting,
          ts.delta));
    }
    return new ProxySyncStatus(
        id,
        node == null ? "" : node.getId(),
        identity == null ? "" : identity.kind().name(),
        identity == null ? "" : identity.workload().toString(),
        identity == null ? "" : identity.ip(),
        caller.toString(),
        openedAt,
        config != null && config.workloadKnown(),
        configSnapshotVersion,
        config == null ? 0 : config.errors().size(),
        lastNack,
        stuck,
        out);
  }

  static String shortType(String typeUrl) {
    int dot = typeUrl.lastIndexOf('.');
    return dot >= 0 ? typeUrl.substring(dot + 1) : typeUrl;
  }
}
