package dev.gatehouse.it.cluster;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Services and EndpointSlices written the way a single-node kind cluster holds them: a Service with several ports
 * whose {@code targetPort}s are named ({@code grpc}, resolved through the pod's container port) or numeric, and the
 * EndpointSlice as kube-controller-manager's endpoint-slice controller writes it there: a generated name
 * ({@code <service>-xxxxx}), owned by the Service, the {@code kubernetes.io/service-name} and {@code managed-by}
 * labels, the {@code last-change-trigger-time} annotation, one port per Service port carrying the Service port's
 * name and the resolved target port number, each endpoint with its address, ready/serving/terminating conditions,
 * {@code nodeName: kind-control-plane} and a Pod targetRef with the pod's uid; no {@code zone} (kind's node has no
 * topology label), no {@code hints} (no topology-aware routing), no {@code hostname} (not a headless Service with a
 * subdomain). Stateless: each call writes the whole slice.
 */
public final class KindEndpointSlices {
  public static final String NODE = "kind-control-plane";

  /**
   * One Service port.
   *
   * @param targetPort a number, or the name of the pods' container port (resolved as the controller does, through
   *     the pod's {@code containers[].ports[].name})
   * @param appProtocol null for none
   */
  public record Port(String name, int port, String targetPort, String appProtocol) {}

  private final MeshCluster cluster;

  public KindEndpointSlices(MeshCluster cluster) {
    this.cluster = cluster;
  }

  /** A ClusterIP Service selecting {@code app=<selectorApp>} with {@code ports}. */
  public Service service(String namespace, String name, String selectorApp, List<Port> ports) {
    ServiceBuilder b = new ServiceBuilder()
        .withNewMetadata().withName(name).withNamespace(namespace).withUid(java.util.UUID.randomUUID().toString())
        .endMetadata()
        .withNewSpec().withType("ClusterIP").withSelector(Map.of("app", selectorApp))
        .withSessionAffinity("None").withIpFamilies("IPv4").withIpFamilyPolicy("SingleStack")
        .endSpec();
    for (Port p : ports) {
      ServicePortBuilder sp = new ServicePortBuilder().withName(p.name()).withPort(p.port()).withProtocol("TCP")
          .withTargetPort(p.targetPort().chars().allMatch(Character::isDigit)
              ? new IntOrString(Integer.parseInt(p.targetPort())) : new IntOrString(p.targetPort()));
      if (p.appProtocol() != null) {
        sp.withAppProtocol(p.appProtocol());
      }
      b.editSpec().addToPorts(sp.build()).endSpec();
    }
    return cluster.client().services().inNamespace(namespace).resource(b.build()).create();
  }

  /**
   * Writes (creates or replaces) the Service's one slice with exactly {@code pods} as ready endpoints. With no pods
   * it is the controller's placeholder slice: no ports, no endpoints.
   */
  public EndpointSlice write(String namespace, String service, List<MeshPod> pods) {
    Service svc = cluster.client().services().inNamespace(namespace).withName(service).get();
    if (svc == null) {
      throw new IllegalStateException("no Service " + namespace + "/" + service);
    }
    EndpointSlice existing = cluster.client().discovery().v1().endpointSlices().inNamespace(namespace)
        .withLabel("kubernetes.io/service-name", service).list().getItems().stream().findFirst().orElse(null);
    String name = existing != null ? existing.getMetadata().getName() : service + "-" + suffix();
    EndpointSliceBuilder slice = new EndpointSliceBuilder()
        .withNewMetadata().withName(name).withGenerateName(service + "-").withNamespace(namespace)
        .addToLabels("kubernetes.io/service-name", service)
        .addToLabels("endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io")
        .addToAnnotations("endpoints.kubernetes.io/last-change-trigger-time", Instant.now().toString())
        .addNewOwnerReference().withApiVersion("v1").withKind("Service").withName(service)
        .withUid(svc.getMetadata().getUid()).withController(true).withBlockOwnerDeletion(true).endOwnerReference()
        .endMetadata()
        .withAddressType("IPv4");
    var first = pods.isEmpty() ? null : cluster.readPod(pods.get(0));
    for (ServicePort sp : first == null ? List.<ServicePort>of() : svc.getSpec().getPorts()) {
      int resolved = resolve(sp, first);
      EndpointPortBuilder port = new EndpointPortBuilder().withName(sp.getName()).withPort(resolved)
          .withProtocol(sp.getProtocol());
      if (sp.getAppProtocol() != null) {
        port.withAppProtocol(sp.getAppProtocol());
      }
      slice.addToPorts(port.build());
    }
    for (MeshPod p : pods) {
      var pod = cluster.readPod(p);
      slice.addToEndpoints(new EndpointBuilder()
          .withAddresses(p.ip())
          .withNewConditions().withReady(true).withServing(true).withTerminating(false).endConditions()
          .withNodeName(NODE)
          .withNewTargetRef().withKind("Pod").withName(p.name()).withNamespace(p.namespace())
          .withUid(pod == null ? null : pod.getMetadata().getUid()).endTargetRef()
          .build());
    }
    return cluster.client().discovery().v1().endpointSlices().inNamespace(namespace).resource(slice.build())
        .createOr(e -> e.update());
  }

  private static int resolve(ServicePort sp, io.fabric8.kubernetes.api.model.Pod pod) {
    IntOrString t = sp.getTargetPort();
    if (t.getIntVal() != null) {
      return t.getIntVal();
    }
    return pod.getSpec().getContainers().stream().flatMap(c -> c.getPorts().stream())
        .filter(cp -> t.getStrVal().equals(cp.getName())).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("pod " + pod.getMetadata().getName()
            + " has no container port named " + t.getStrVal()))
        .getContainerPort();
  }

  private static String suffix() {
    String chars = "bcdfghjklmnpqrstvwxz2456789";
    StringBuilder s = new StringBuilder();
    java.util.Random r = new java.util.Random();
    for (int i = 0; i < 5; i++) {
      s.append(chars.charAt(r.nextInt(chars.length())));
    }
    return s.toString();
  }
}
