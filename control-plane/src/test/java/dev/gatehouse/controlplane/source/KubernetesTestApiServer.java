package dev.gatehouse.controlplane.source;

import dev.gatehouse.model.PolicyKind;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A fresh fabric8 mock API server in CRUD mode, bound to 127.0.0.1, per test (a shared static one keeps objects
 * between tests). Installs Istio's CRDs the way Istio's own chart does: group, kind, plural, singular, short names,
 * Namespaced scope, the served versions, and the storage version.
 */
final class KubernetesTestApiServer implements AutoCloseable {
  final KubernetesMockServer server;
  final KubernetesClient client;

  KubernetesTestApiServer() {
    server =
        new KubernetesMockServer(
            new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(List.of()), false);
    server.init(InetAddress.getLoopbackAddress(), 0);
    client = server.createClient();
  }

  /** Istio 1.22+ CRDs: security.istio.io serves v1 (storage) and v1beta1; DestinationRule serves v1, v1beta1, v1alpha3. */
  void installIstioCrds() {
    for (PolicyKind kind : PolicyKind.values()) {
      installCrd(kind, kind.versions(), kind == PolicyKind.DESTINATION_RULE ? "v1alpha3" : "v1");
    }
  }

  void installCrd(PolicyKind kind, List<String> served, String storage) {
    List<CustomResourceDefinitionVersion> versions = new ArrayList<>();
    for (String v : served) {
      versions.add(
          new CustomResourceDefinitionVersionBuilder()
              .withName(v)
              .withServed(true)
              .withStorage(v.equals(storage))
              .withNewSchema()
              .withNewOpenAPIV3Schema()
              .withType("object")
              .withXKubernetesPreserveUnknownFields(true)
              .endOpenAPIV3Schema()
              .endSchema()
              .withNewSubresources()
              .withNewStatus()
              .endStatus()
              .endSubresources()
              .build());
    }
    CustomResourceDefinition crd =
        new CustomResourceDefinitionBuilder()
            .withNewMetadata()
            .withName(kind.plural() + "." + kind.group())
            .addToLabels("app", "istio-pilot")
            .addToLabels("istio", kind.group().startsWith("security") ? "security" : "networking")
            .endMetadata()
            .withNewSpec()
            .withGroup(kind.group())
            .withScope("Namespaced")
            .withNewNames()
            .withKind(kind.kind())
            .withListKind(kind.kind() + "List")
            .withPlural(kind.plural())
            .withSingular(kind.kind().toLowerCase(Locale.ROOT))
            .withShortNames(shortName(kind))
            .withCategories("istio-io", kind.group().startsWith("security") ? "security-istio-io" : "networking-istio-io")
            .endNames()
            .withVersions(versions)
            .endSpec()
            .build();
    client.apiextensions().v1().customResourceDefinitions().resource(crd).create();
  }

  MixedOperation<GenericKubernetesResource, GenericKubernetesResourceList, Resource<GenericKubernetesResource>> istio(PolicyKind kind, String version) {
    return client.genericKubernetesResources(
        new ResourceDefinitionContext.Builder()
            .withGroup(kind.group())
            .withVersion(version)
            .withKind(kind.kind())
            .withPlural(kind.plural())
            .withNamespaced(true)
            .build());
  }

  /** An Istio object of {@code kind} in {@code apiVersion} with the given spec. */
  static GenericKubernetesResource istioObject(
      PolicyKind kind, String version, String namespace, String name, Map<String, Object> spec) {
    GenericKubernetesResource r = new GenericKubernetesResource();
    r.setApiVersion(kind.group() + "/" + version);
    r.setKind(kind.kind());
    r.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
    r.setAdditionalProperty("spec", spec);
    return r;
  }

  private static String shortName(PolicyKind kind) {
    return switch (kind) {
      case PEER_AUTHENTICATION -> "pa";
      case AUTHORIZATION_POLICY -> "ap";
      case REQUEST_AUTHENTICATION -> "ra";
      case DESTINATION_RULE -> "dr";
    };
  }

  @Override
  public void close() {
    client.close();
    server.destroy();
  }
}
