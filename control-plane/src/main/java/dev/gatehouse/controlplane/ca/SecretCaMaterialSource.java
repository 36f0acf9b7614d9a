package dev.gatehouse.controlplane.ca;

import dev.gatehouse.ca.signer.pluggedin.CaMaterialSource;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/** Plugged-in CA material read from the {@code cacerts} Secret through the API (when it is not mounted). Thread-safe. */
public final class SecretCaMaterialSource implements CaMaterialSource {
  private final KubernetesClient client;
  private final String namespace;
  private final String name;

  public SecretCaMaterialSource(KubernetesClient client, String namespace, String name) {
    this.client = client;
    this.namespace = namespace;
    this.name = name;
  }

  @Override
  public Map<String, String> read() throws IOException {
    Secret secret = get();
    Map<String, String> files = new LinkedHashMap<>();
    if (secret != null && secret.getData() != null) {
      secret.getData().forEach((k, v) -> files.put(k, new String(Base64.getDecoder().decode(v), StandardCharsets.US_ASCII)));
    }
    if (secret != null && secret.getStringData() != null) {
      files.putAll(secret.getStringData());
    }
    return files;
  }

  @Override
  public boolean isPresent() {
    try {
      Secret secret = get();
      return secret != null && secret.getData() != null
          && (secret.getData().containsKey("ca-cert.pem") || secret.getData().containsKey("tls.crt"));
    } catch (IOException e) {
      return false;
    }
  }

  private Secret get() throws IOException {
    try {
      return client.secrets().inNamespace(namespace).withName(name).get();
    } catch (KubernetesClientException e) {
      throw new IOException("cannot read secret " + namespace + "/" + name + ": " + e.getMessage(), e);
    }
  }

  @Override
  public String describe() {
    return "secret " + namespace + "/" + name;
  }
}
