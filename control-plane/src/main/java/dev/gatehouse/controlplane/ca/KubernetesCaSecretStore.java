package dev.gatehouse.controlplane.ca;

import dev.gatehouse.ca.signer.selfsigned.CaSecret;
import dev.gatehouse.ca.signer.selfsigned.CaSecretStore;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The self-signed CA's root in the Secret {@code istio-ca-secret} (type {@code istio.io/ca-root}, keys
 * {@code ca-cert.pem}, {@code ca-key.pem}, {@code root-cert.pem}) in the control plane's namespace, as istiod keeps
 * it. Create-if-absent is a plain create: the API server lets exactly one replica win and answers 409 to the others,
 * which then adopt the winner's secret. Replace is an update carrying the resourceVersion (409 = conflict).
 * {@link #watch} informs on this one Secret, so followers adopt a root the leader created or rotated within moments.
 * Thread-safe.
 */
public final class KubernetesCaSecretStore implements CaSecretStore {
  public static final String TYPE = "istio.io/ca-root";
  private final KubernetesClient client;
  private final String namespace;
  private final String name;

  public KubernetesCaSecretStore(KubernetesClient client, String namespace, String name) {
    this.client = client;
    this.namespace = namespace;
    this.name = name;
  }

  @Override
  public Optional<CaSecret> load() {
    Secret secret;
    try {
      secret = client.secrets().inNamespace(namespace).withName(name).get();
    } catch (KubernetesClientException e) {
      throw new StoreException("cannot read " + describe() + ": " + e.getMessage(), e);
    }
    if (secret == null) {
      return Optional.empty();
    }
    Map<String, String> data = secret.getData() == null ? Map.of() : secret.getData();
    return Optional.of(new CaSecret(decode(data, CaSecret.CA_CERT), decode(data, CaSecret.CA_KEY), decode(data, CaSecret.ROOT_CERT),
        secret.getMetadata().getResourceVersion()));
  }

  @Override
  public CaSecret createIfAbsent(CaSecret candidate) {
    try {
      Secret created = client.secrets().inNamespace(namespace).resource(toSecret(candidate, null)).create();
      return candidate.withVersion(created.getMetadata().getResourceVersion());
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) {
        return load().orElseThrow(() -> new StoreException(describe() + " exists (409) but cannot be read", e));
      }
      throw new StoreException("cannot create " + describe() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public CaSecret replace(CaSecret current, CaSecret updated) throws ConflictException {
    try {
      Secret replaced = client.secrets().inNamespace(namespace).resource(toSecret(updated, current.version())).update();
      return updated.withVersion(replaced.getMetadata().getResourceVersion());
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) {
        throw new ConflictException(describe() + " was changed by another replica");
      }
      throw new StoreException("cannot update " + describe() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public AutoCloseable watch(Runnable onChange) {
    SharedIndexInformer<Secret> informer = client.secrets().inNamespace(namespace).withName(name).runnableInformer(0);
    informer.addEventHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(Secret secret) {
        onChange.run();
      }

      @Override
      public void onUpdate(Secret oldSecret, Secret newSecret) {
        if (!java.util.Objects.equals(oldSecret.getMetadata().getResourceVersion(),
            newSecret.getMetadata().getResourceVersion())) {
          onChange.run();
        }
      }

      @Override
      public void onDelete(Secret secret, boolean deletedFinalStateUnknown) {
        onChange.run();
      }
    });
    // An API server that is down or briefly forbids the watch must not end it.
    informer.exceptionHandler((started, t) -> true);
    informer.start();
    return informer::close;
  }

  @Override
  public String describe() {
    return "secret " + namespace + "/" + name;
  }

  private Secret toSecret(CaSecret secret, String resourceVersion) {
    Map<String, String> data = new LinkedHashMap<>();
    data.put(CaSecret.CA_CERT, encode(secret.caCertPem()));
    data.put(CaSecret.CA_KEY, encode(secret.caKeyPem()));
    data.put(CaSecret.ROOT_CERT, encode(secret.rootCertPem()));
    return new SecretBuilder()
        .withNewMetadata().withName(name).withNamespace(namespace).withResourceVersion(resourceVersion)
        .addToLabels("app.kubernetes.io/managed-by", "gatehouse").endMetadata()
        .withType(TYPE)
        .withData(data)
        .build();
  }

  private static String encode(String value) {
    return Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.US_ASCII));
  }

  private String decode(Map<String, String> data, String key) {
    String value = data.get(key);
    if (value == null) {
      throw new StoreException(describe() + " has no " + key, null);
    }
    return new String(Base64.getDecoder().decode(value), StandardCharsets.US_ASCII);
  }
}
