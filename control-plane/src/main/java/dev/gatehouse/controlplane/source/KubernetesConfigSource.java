package dev.gatehouse.controlplane.source;

import dev.gatehouse.controlplane.source.ConfigInputErrors.Reason;
import dev.gatehouse.model.PolicyKind;
import dev.gatehouse.model.parse.KubernetesObjectParser;
import dev.gatehouse.model.parse.ParseResult;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Informable;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the mesh from the Kubernetes API with fabric8 informers: Namespaces, Pods, Services, discovery.k8s.io/v1
 * EndpointSlices, ServiceAccounts, and Istio's PeerAuthentication, AuthorizationPolicy, RequestAuthentication and
 * DestinationRule as generic resources. Every object goes through the same {@link KubernetesObjectParser} as the file
 * source, so a YAML file and the same object in a cluster mean the same thing.
 *
 * <p>Each Istio kind is watched in one API version (configurable; v1 by default): the API server converts between the
 * versions a CRD serves, so one watch sees every object, and watching two would deliver each object twice. When the
 * configured version is not served, a served version Gatehouse accepts is used instead. A CRD that is not installed is
 * logged and treated as empty; it is looked for again every 10 s and watched once it appears.
 *
 * <p>Resync-safe: an update whose resourceVersion did not change is a no-op, and an unchanged object is a no-op in
 * the stream anyway. The initial sync completes when every informer has listed its resources. Informers reconnect by
 * themselves after an API-server disconnect; meanwhile the last good snapshot stays in place and {@link #health()}
 * says since when the watch is down.
 *
 * <p>Thread-safety: informer callbacks arrive on fabric8's threads and go straight into the thread-safe stream; one
 * thread ("gatehouse-kubernetes-watch") checks connectivity and missing CRDs.
 */
public final class KubernetesConfigSource implements ConfigSource {
  public static final String SOURCE = "kubernetes";
  static final Duration CRD_RECHECK = Duration.ofSeconds(10);
  private static final Logger log = LoggerFactory.getLogger(KubernetesConfigSource.class);

  private final KubernetesClient client;
  private final KubernetesObjectParser parser;
  private final MeshConfigStream stream;
  private final ConfigInputErrors errors;
  private final String securityVersion;
  private final String networkingVersion;
  private final long resyncMillis;
  private final Duration crdRecheck;
  private final List<Watched> watched = new CopyOnWriteArrayList<>();
  private final List<PolicyKind> missingCrds = new CopyOnWriteArrayList<>();
  private final ScheduledExecutorService monitor;
  private volatile Instant disconnectedSince;
  private volatile String disconnectedWhat = "";

  private record Watched(String kind, String apiVersion, SharedIndexInformer<? extends HasMetadata> informer) {}

  public KubernetesConfigSource(
      KubernetesClient client,
      KubernetesObjectParser parser,
      MeshConfigStream stream,
      ConfigInputErrors errors,
      String securityApiVersion,
      String networkingApiVersion,
      Duration resync) {
    this(client, parser, stream, errors, securityApiVersion, networkingApiVersion, resync, CRD_RECHECK);
  }

  KubernetesConfigSource(
      KubernetesClient client,
      KubernetesObjectParser parser,
      MeshConfigStream stream,
      ConfigInputErrors errors,
      String securityApiVersion,
      String networkingApiVersion,
      Duration resync,
      Duration crdRecheck) {
    this.crdRecheck = crdRecheck;
    this.client = client;
    this.parser = parser;
    this.stream = stream;
    this.errors = errors;
    this.securityVersion = securityApiVersion;
    this.networkingVersion = networkingApiVersion;
    this.resyncMillis = resync.toMillis();
    this.monitor =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "gatehouse-kubernetes-watch");
              t.setDaemon(true);
              return t;
            });
  }

  @Override
  public String description() {
    return "kubernetes API " + client.getMasterUrl();
  }

  /** Starts every informer; returns at once. The stream's initial sync completes when all have listed. */
  @Override
  public void start() {
    List<CompletableFuture<Void>> synced = new ArrayList<>();
    synced.add(watch("Namespace", "v1", client.namespaces()));
    synced.add(watch("Pod", "v1", client.pods().inAnyNamespace()));
    synced.add(watch("Service", "v1", client.services().inAnyNamespace()));
    synced.add(watch("EndpointSlice", "discovery.k8s.io/v1", client.discovery().v1().endpointSlices().inAnyNamespace()));
    synced.add(watch("ServiceAccount", "v1", client.serviceAccounts().inAnyNamespace()));
    for (PolicyKind kind : PolicyKind.values()) {
      Optional<String> version = servedVersion(kind);
      if (version.isEmpty()) {
        missingCrds.add(kind);
        log.warn(
            "CRD {} is not installed: no {} objects until it is (checked again every {} s)",
            crdName(kind), kind.kind(), crdRecheck.toSeconds());
        continue;
      }
      synced.add(watchPolicies(kind, version.get()));
    }
    CompletableFuture.allOf(synced.toArray(CompletableFuture[]::new))
        .whenComplete(
            (ok, failure) -> {
              if (failure != null) {
                log.error("Initial sync with the Kubernetes API failed; not ready", failure);
              } else {
                log.info("Initial sync with {} done: {}", client.getMasterUrl(), stream.countsByKind());
                stream.initialSyncDone();
              }
            });
    monitor.scheduleWithFixedDelay(this::checkConnection, 1, 1, TimeUnit.SECONDS);
    long recheck = Math.max(1, crdRecheck.toMillis());
    monitor.scheduleWithFixedDelay(this::recheckCrds, recheck, recheck, TimeUnit.MILLISECONDS);
  }

  @Override
  public SourceHealth health() {
    Instant since = disconnectedSince;
    if (since != null) {
      return new SourceHealth(
          false,
          "kubernetes watch disconnected since " + since + " (" + disconnectedWhat
              + "); serving the last good snapshot, version " + stream.version());
    }
    if (!stream.synced()) {
      return new SourceHealth(true, "initial sync with " + client.getMasterUrl() + " in progress");
    }
    String missing = missingCrds.isEmpty() ? "" : "; CRDs not installed: " + missingCrds.stream().map(k -> crdName(k)).toList();
    return new SourceHealth(true, "watching " + watched.size() + " resource types on " + client.getMasterUrl() + missing);
  }

  private CompletableFuture<Void> watchPolicies(PolicyKind kind, String version) {
    ResourceDefinitionContext context =
        new ResourceDefinitionContext.Builder()
            .withGroup(kind.group())
            .withVersion(version)
            .withKind(kind.kind())
            .withPlural(kind.plural())
            .withNamespaced(true)
            .build();
    return watch(
        kind.kind(), kind.group() + "/" + version, client.genericKubernetesResources(context).inAnyNamespace());
  }

  private <T extends HasMetadata> CompletableFuture<Void> watch(String kind, String apiVersion, Informable<T> what) {
    SharedIndexInformer<T> informer = what.runnableInformer(resyncMillis);
    informer.addEventHandler(new Handler(kind, apiVersion));
    informer.exceptionHandler(
        (started, t) -> {
          // Retry always: an API server that is down, restarting or briefly forbidding us must not stop the watch.
          log.warn("Watch of {} failed ({}); retrying", kind, t.toString());
          return true;
        });
    watched.add(new Watched(kind, apiVersion, informer));
    return informer.start().toCompletableFuture();
  }

  /** The version to watch for {@code kind}: the configured one if served, else another accepted served version. */
  private Optional<String> servedVersion(PolicyKind kind) {
    String wanted = kind == PolicyKind.DESTINATION_RULE ? networkingVersion : securityVersion;
    CustomResourceDefinition crd;
    try {
      crd = client.apiextensions().v1().customResourceDefinitions().withName(crdName(kind)).get();
    } catch (KubernetesClientException e) {
      // Reading CRDs may be forbidden by RBAC; then trust the configuration and let the informer report problems.
      log.info("Cannot read CRD {} ({}); watching {} {}", crdName(kind), e.getCode(), kind.kind(), wanted);
      return Optional.of(wanted);
    }
    if (crd == null) {
      return Optional.empty();
    }
    List<String> served =
        crd.getSpec().getVersions().stream()
            .filter(v -> Boolean.TRUE.equals(v.getServed()))
            .map(CustomResourceDefinitionVersion::getName)
            .toList();
    if (served.contains(wanted)) {
      return Optional.of(wanted);
    }
    Optional<String> fallback = kind.versions().stream().filter(served::contains).findFirst();
    fallback.ifPresentOrElse(
        v -> log.warn("CRD {} does not serve {}; watching {} instead", crdName(kind), wanted, v),
        () -> log.warn("CRD {} serves {} but Gatehouse reads only {}", crdName(kind), served, kind.versions()));
    return fallback;
  }

  private void recheckCrds() {
    for (PolicyKind kind : List.copyOf(missingCrds)) {
      try {
        Optional<String> version = servedVersion(kind);
        if (version.isPresent()) {
          missingCrds.remove(kind);
          log.info("CRD {} appeared; watching {} {}", crdName(kind), kind.kind(), version.get());
          watchPolicies(kind, version.get());
        }
      } catch (RuntimeException e) {
        log.debug("CRD check for {} failed", kind, e);
      }
    }
  }

  private void checkConnection() {
    if (!stream.synced()) {
      return;
    }
    List<String> down = new ArrayList<>();
    for (Watched w : watched) {
      if (!w.informer().isWatching()) {
        down.add(w.kind());
      }
    }
    if (!down.isEmpty() && disconnectedSince == null) {
      disconnectedSince = Instant.now();
      disconnectedWhat = "not watching " + String.join(", ", down);
      log.warn(
          "Kubernetes watch disconnected ({}); keeping the last good snapshot, version {}",
          disconnectedWhat, stream.version());
    } else if (down.isEmpty() && disconnectedSince != null) {
      log.info(
          "Kubernetes watch reconnected after {} s", Duration.between(disconnectedSince, Instant.now()).toSeconds());
      disconnectedSince = null;
      disconnectedWhat = "";
    }
  }

  static String crdName(PolicyKind kind) {
    return kind.plural() + "." + kind.group();
  }

  private final class Handler implements ResourceEventHandler<HasMetadata> {
    private final String kind;
    private final String apiVersion;

    Handler(String kind, String apiVersion) {
      this.kind = kind;
      this.apiVersion = apiVersion;
    }

    @Override
    public void onAdd(HasMetadata obj) {
      apply(obj);
    }

    @Override
    public void onUpdate(HasMetadata oldObj, HasMetadata newObj) {
      String rv = newObj.getMetadata().getResourceVersion();
      if (rv != null && !rv.isEmpty() && rv.equals(oldObj.getMetadata().getResourceVersion())) {
        return; // a resync, not a change
      }
      apply(newObj);
    }

    @Override
    public void onDelete(HasMetadata obj, boolean deletedFinalStateUnknown) {
      stream.delete(id(obj));
    }

    private MeshObjectId id(HasMetadata obj) {
      return MeshObjectId.of(kind, obj.getMetadata().getNamespace(), obj.getMetadata().getName());
    }

    private void apply(HasMetadata obj) {
      ParseResult result;
      try {
        @SuppressWarnings("unchecked")
        Map<String, Object> map = client.getKubernetesSerialization().convertValue(obj, Map.class);
        Map<String, Object> object = new LinkedHashMap<>(map);
        // List responses may omit apiVersion/kind on items; the informer knows what it watches.
        if (Objects.toString(object.get("apiVersion"), "").isEmpty()) {
          object.put("apiVersion", apiVersion);
        }
        if (Objects.toString(object.get("kind"), "").isEmpty()) {
          object.put("kind", kind);
        }
        result = parser.parse(object, SOURCE);
      } catch (RuntimeException e) {
        result = new ParseResult.Failed(SOURCE, e.toString());
      }
      if (result instanceof ParseResult.Parsed parsed) {
        stream.upsert(SOURCE, parsed);
      } else if (result instanceof ParseResult.Ignored ignored) {
        // E.g. a pod that has finished: it no longer takes part in the mesh.
        if (stream.delete(id(obj)) == MeshConfigStream.Outcome.DELETED) {
          log.debug("{} {} left the mesh: {}", kind, id(obj).key(), ignored.reason());
        }
      } else if (result instanceof ParseResult.Failed failed) {
        errors.report(
            SOURCE,
            Reason.INVALID_OBJECT,
            kind + " " + id(obj).key(),
            failed.reason() + (stream.contains(id(obj)) ? "; keeping its previous version" : ""));
      }
    }
  }

  @Override
  public void close() {
    monitor.shutdownNow();
    for (Watched w : watched) {
      w.informer().stop();
    }
  }
}
