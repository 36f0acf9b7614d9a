package dev.gatehouse.controlplane.ca;

import dev.gatehouse.ca.leader.SingletonWork;
import dev.gatehouse.ca.signer.TrustBundle;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Istio's namespace controller (pilot/pkg/serviceregistry/kube/controller/namespacecontroller.go): the trust bundle
 * is published as ConfigMap {@code istio-ca-root-cert} (key {@code root-cert.pem}, label {@code istio.io/config=true})
 * in every namespace, created when a namespace appears and updated when the bundle changes. A ConfigMap someone else
 * edits or deletes is put back. A namespace whose write failed is retried by {@link #retryFailed()}. The only writer
 * of these ConfigMaps.
 *
 * <p>Singleton work: only the replica holding the leader lease runs it ({@link TrustDistribution} starts and stops
 * the informers on leadership changes), and every single write is decided by {@link SingletonWork#bundleWrite} with
 * the lease as it is at that moment, so a replica that just lost the lease writes nothing more. Thread-safe.
 */
public final class TrustBundleConfigMapPublisher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TrustBundleConfigMapPublisher.class);
  public static final String KEY = "root-cert.pem";
  public static final Map<String, String> LABELS = Map.of("istio.io/config", "true");

  private final KubernetesClient client;
  private final String name;
  private final Supplier<TrustBundle> bundle;
  private final BooleanSupplier holdsLease;
  private final Set<String> failed = ConcurrentHashMap.newKeySet();
  private SharedIndexInformer<Namespace> namespaces;
  private SharedIndexInformer<ConfigMap> configMaps;

  /** @param holdsLease asked before every write: whether this replica holds the leader lease now */
  public TrustBundleConfigMapPublisher(KubernetesClient client, String name, Supplier<TrustBundle> bundle,
      BooleanSupplier holdsLease) {
    this.client = Objects.requireNonNull(client, "client");
    this.name = Objects.requireNonNull(name, "name");
    this.bundle = Objects.requireNonNull(bundle, "bundle");
    this.holdsLease = Objects.requireNonNull(holdsLease, "holdsLease");
  }

  /** Starts watching namespaces and the ConfigMaps (idempotent); each namespace listed is reconciled. */
  public synchronized void start() {
    if (namespaces != null) {
      return;
    }
    namespaces = client.namespaces().inform(new ResourceEventHandler<>() {
      @Override
      public void onAdd(Namespace namespace) {
        publish(namespace.getMetadata().getName());
      }

      @Override
      public void onUpdate(Namespace oldNamespace, Namespace newNamespace) {}

      @Override
      public void onDelete(Namespace namespace, boolean deletedFinalStateUnknown) {
        failed.remove(namespace.getMetadata().getName());
      }
    });
    configMaps = client.configMaps().inAnyNamespace().withField("metadata.name", name).inform(new ResourceEventHandler<>() {
      @Override
      public void onAdd(ConfigMap configMap) {
        repairIfDrifted(configMap);
      }

      @Override
      public void onUpdate(ConfigMap oldConfigMap, ConfigMap newConfigMap) {
        repairIfDrifted(newConfigMap);
      }

      @Override
      public void onDelete(ConfigMap configMap, boolean deletedFinalStateUnknown) {
        String namespace = configMap.getMetadata().getNamespace();
        if (namespaceExists(namespace)) {
          publish(namespace);
        }
      }
    });
  }

  private void repairIfDrifted(ConfigMap configMap) {
    TrustBundle current = bundle.get();
    if (current != null && name.equals(configMap.getMetadata().getName())
        && SingletonWork.bundleWrite(holdsLease.getAsBoolean(), Optional.of(published(configMap)), current.pem())
            != SingletonWork.BundleWrite.NONE) {
      publish(configMap.getMetadata().getNamespace());
    }
  }

  private boolean namespaceExists(String namespace) {
    SharedIndexInformer<Namespace> informer;
    synchronized (this) {
      informer = namespaces;
    }
    return informer != null && informer.getStore().getByKey(namespace) != null;
  }

  private static SingletonWork.PublishedBundle published(ConfigMap configMap) {
    return new SingletonWork.PublishedBundle(configMap.getData() == null ? null : configMap.getData().get(KEY),
        configMap.getMetadata().getLabels() != null
            && "true".equals(configMap.getMetadata().getLabels().get("istio.io/config")));
  }

  /** Re-publishes to every known namespace; call after the bundle changed. */
  public void publishAll() {
    SharedIndexInformer<Namespace> informer;
    synchronized (this) {
      informer = namespaces;
    }
    if (informer == null) {
      return;
    }
    informer.getStore().list().forEach(ns -> publish(ns.getMetadata().getName()));
  }

  public void retryFailed() {
    if (holdsLease.getAsBoolean()) {
      Set.copyOf(failed).forEach(this::publish);
    }
  }

  /**
   * Creates or updates the ConfigMap in {@code namespace}; a no-op when it already holds the bundle, and when this
   * replica does not hold the leader lease.
   */
  public void publish(String namespace) {
    TrustBundle current = bundle.get();
    if (current == null || !holdsLease.getAsBoolean()) {
      return;
    }
    String pem = current.pem();
    try {
      ConfigMap existing = client.configMaps().inNamespace(namespace).withName(name).get();
      SingletonWork.BundleWrite write = SingletonWork.bundleWrite(holdsLease.getAsBoolean(),
          Optional.ofNullable(existing).map(TrustBundleConfigMapPublisher::published), pem);
      if (write == SingletonWork.BundleWrite.CREATE) {
        try {
          client.configMaps().inNamespace(namespace).resource(new ConfigMapBuilder()
              .withNewMetadata().withName(name).withNamespace(namespace).withLabels(LABELS).endMetadata()
              .withData(Map.of(KEY, pem)).build()).create();
          failed.remove(namespace);
          return;
        } catch (KubernetesClientException e) {
          if (e.getCode() != 409) {
            throw e;
          }
          existing = client.configMaps().inNamespace(namespace).withName(name).get();
          write = SingletonWork.bundleWrite(holdsLease.getAsBoolean(),
              Optional.ofNullable(existing).map(TrustBundleConfigMapPublisher::published), pem);
        }
      }
      if (write == SingletonWork.BundleWrite.UPDATE) {
        client.configMaps().inNamespace(namespace).withName(name).edit(cm -> new ConfigMapBuilder(cm)
            .editMetadata().addToLabels(LABELS).endMetadata()
            .addToData(KEY, pem).build());
      }
      failed.remove(namespace);
    } catch (KubernetesClientException e) {
      failed.add(namespace);
      log.warn("cannot publish {} in namespace {} (will retry): {}", name, namespace, e.getMessage());
    }
  }

  public synchronized boolean isStarted() {
    return namespaces != null;
  }

  /** Stops watching (the lease is lost, or shutdown); {@link #start()} may be called again later. */
  @Override
  public synchronized void close() {
    failed.clear();
    if (configMaps != null) {
      configMaps.close();
      configMaps = null;
    }
    if (namespaces != null) {
      namespaces.close();
      namespaces = null;
    }
  }
}
