package dev.gatehouse.it.cluster;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersionBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;

/**
 * The fabric8 mock API server in CRUD mode (with expectations for what CRUD cannot do: TokenReview, OIDC keys),
 * loaded the way a cluster with Istio installed looks: Istio's CRDs registered first, then Namespaces,
 * ServiceAccounts, Pods, Services, EndpointSlices and Istio resources. The mock has no controllers, so the
 * EndpointSlice of a Service is written by the test (as the endpoint-slice controller would) from the ready pods
 * it knows. Listens on 127.0.0.1 only.
 *
 * <p>Thread-safety: the mock server is thread-safe; {@link #endpointsOf} bookkeeping is synchronized.
 */
public final class MeshCluster implements AutoCloseable {
  public static final String SECURITY_GROUP = "security.istio.io";
  public static final String NETWORKING_GROUP = "networking.istio.io";

  private final KubernetesMockServer server;
  private final KubernetesClient client;
  private final Map<String, List<MeshPod>> endpoints = new LinkedHashMap<>();

  private MeshCluster(KubernetesMockServer server) {
    this.server = server;
    this.client = server.createClient();
  }

  public static MeshCluster start() throws IOException {
    Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
    KubernetesMockServer server = new KubernetesMockServer(
        new Context(Serialization.jsonMapper()), new MockWebServer(), responses,
        new KubernetesMixedDispatcher(responses), false);
    server.init(InetAddress.getByName("127.0.0.1"), 0);
    MeshCluster cluster = new MeshCluster(server);
    cluster.installIstioCrds();
    return cluster;
  }

  public KubernetesMockServer server() {
    return server;
  }

  public KubernetesClient client() {
    return client;
  }

  /** e.g. {@code http://127.0.0.1:40123} */
  public String url() {
    return client.getMasterUrl().toString().replaceAll("/$", "");
  }

  private void installIstioCrds() {
    crd(SECURITY_GROUP, "PeerAuthentication", "peerauthentications", List.of("v1", "v1beta1"));
    crd(SECURITY_GROUP, "AuthorizationPolicy", "authorizationpolicies", List.of("v1", "v1beta1"));
    crd(SECURITY_GROUP, "RequestAuthentication", "requestauthentications", List.of("v1", "v1beta1"));
    crd(NETWORKING_GROUP, "DestinationRule", "destinationrules", List.of("v1", "v1beta1", "v1alpha3"));
  }

  /** Istio's CRD shape: namespaced, every version served, v1 stored, schema open. */
  private void crd(String group, String kind, String plural, List<String> versions) {
    List<CustomResourceDefinitionVersion> vs = new ArrayList<>();
    for (String v : versions) {
      vs.add(new CustomResourceDefinitionVersionBuilder()
          .withName(v).withServed(true).withStorage(v.equals("v1"))
          .withNewSchema().withNewOpenAPIV3Schema().withType("object").withXKubernetesPreserveUnknownFields(true)
          .endOpenAPIV3Schema().endSchema()
          .build());
    }
    CustomResourceDefinition crd = new CustomResourceDefinitionBuilder()
        .withNewMetadata().withName(plural + "." + group).endMetadata()
        .withNewSpec().withGroup(group).withScope("Namespaced")
        .withNewNames().withKind(kind).withPlural(plural).withSingular(kind.toLowerCase()).withListKind(kind + "List")
        .endNames()
        .withVersions(vs)
        .endSpec()
        .build();
    client.apiextensions().v1().customResourceDefinitions().resource(crd).create();
  }

  public void namespace(String name, Map<String, String> labels) {
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).withLabels(labels)
        .endMetadata().build()).create();
  }

  public void serviceAccount(String namespace, String name) {
    if (client.serviceAccounts().inNamespace(namespace).withName(name).get() == null) {
      client.serviceAccounts().inNamespace(namespace).resource(new ServiceAccountBuilder()
          .withNewMetadata().withName(name).withNamespace(namespace).endMetadata().build()).create();
    }
  }

  /** A running proxyless gRPC pod (Istio's {@code grpc-agent} injection template), with its IP in status. */
  public void pod(MeshPod pod) {
    serviceAccount(pod.namespace(), pod.serviceAccount());
    PodBuilder builder = new PodBuilder()
        .withNewMetadata().withName(pod.name()).withNamespace(pod.namespace()).withLabels(pod.labels())
        .addToAnnotations("inject.istio.io/templates", "grpc-agent")
        .withUid(java.util.UUID.randomUUID().toString())
        .endMetadata()
        .withNewSpec().withServiceAccountName(pod.serviceAccount())
        .addNewContainer().withName("app").withImage("gatehouse-it/workload")
        .addNewPort().withName("grpc").withContainerPort(pod.port() > 0 ? pod.port() : 8080).withProtocol("TCP").endPort()
        .endContainer()
        .endSpec()
        .withNewStatus().withPhase("Running").withPodIP(pod.ip()).addNewPodIP().withIp(pod.ip()).endPodIP()
        .endStatus();
    client.pods().inNamespace(pod.namespace()).resource(builder.build()).create();
  }

  public void deletePod(MeshPod pod) {
    client.pods().inNamespace(pod.namespace()).withName(pod.name()).delete();
  }

  public Pod readPod(MeshPod pod) {
    return client.pods().inNamespace(pod.namespace()).withName(pod.name()).get();
  }

  /** A ClusterIP Service with one gRPC port ({@code appProtocol: grpc}) selecting {@code app=<name>}. */
  public void service(String namespace, String name, int port) {
    client.services().inNamespace(namespace).resource(new ServiceBuilder()
        .withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
        .withNewSpec().withSelector(Map.of("app", name))
        .addNewPort().withName("grpc").withPort(port).withNewTargetPort(port).withProtocol("TCP").withAppProtocol("grpc")
        .endPort()
        .endSpec().build()).create();
  }

  /**
   * Writes the Service's EndpointSlice with exactly {@code pods} (what the endpoint-slice controller would do after
   * pods became ready or went away).
   */
  public synchronized void endpointsOf(String namespace, String service, int port, List<MeshPod> pods) {
    endpoints.put(namespace + "/" + service, List.copyOf(pods));
    EndpointSliceBuilder slice = new EndpointSliceBuilder()
        .withNewMetadata().withName(service + "-slice").withNamespace(namespace)
        .addToLabels("kubernetes.io/service-name", service)
        .addToLabels("endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io")
        .endMetadata()
        .withAddressType("IPv4")
        .addNewPort().withName("grpc").withPort(port).withProtocol("TCP").withAppProtocol("grpc").endPort();
    for (MeshPod p : pods) {
      slice.addToEndpoints(new EndpointBuilder()
          .withAddresses(p.ip())
          .withNewConditions().withReady(true).withServing(true).withTerminating(false).endConditions()
          .withNewTargetRef().withKind("Pod").withName(p.name()).withNamespace(p.namespace()).endTargetRef()
          .build());
    }
    EndpointSlice built = slice.build();
    client.discovery().v1().endpointSlices().inNamespace(namespace).resource(built).createOr(
        existing -> existing.update());
  }

  public synchronized List<MeshPod> endpointsOf(String namespace, String service) {
    return endpoints.getOrDefault(namespace + "/" + service, List.of());
  }

  /** Creates or replaces an Istio resource given as YAML (apiVersion, kind, metadata, spec). */
  public GenericKubernetesResource apply(String yaml) {
    GenericKubernetesResource r = client.getKubernetesSerialization().unmarshal(yaml, GenericKubernetesResource.class);
    return client.genericKubernetesResources(context(r)).inNamespace(r.getMetadata().getNamespace()).resource(r)
        .createOr(existing -> existing.update());
  }

  public void delete(String apiVersion, String kind, String namespace, String name) {
    GenericKubernetesResource r = new GenericKubernetesResource();
    r.setApiVersion(apiVersion);
    r.setKind(kind);
    client.genericKubernetesResources(context(r)).inNamespace(namespace).withName(name).delete();
  }

  public ConfigMap configMap(String namespace, String name) {
    return client.configMaps().inNamespace(namespace).withName(name).get();
  }

  private static ResourceDefinitionContext context(HasMetadata r) {
    String[] gv = r.getApiVersion().split("/");
    String plural = switch (r.getKind()) {
      case "PeerAuthentication" -> "peerauthentications";
      case "AuthorizationPolicy" -> "authorizationpolicies";
      case "RequestAuthentication" -> "requestauthentications";
      case "DestinationRule" -> "destinationrules";
      default -> throw new IllegalArgumentException("not an Istio kind: " + r.getKind());
    };
    return new ResourceDefinitionContext.Builder()
        .withGroup(gv[0]).withVersion(gv[1]).withKind(r.getKind()).withPlural(plural).withNamespaced(true).build();
  }

  @Override
  public void close() {
    client.close();
    server.destroy();
  }
}
