package dev.gatehouse.xds.server;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.gatehouse.model.ObjectKey;
import dev.gatehouse.xds.ProxyIdentity;
import dev.gatehouse.xds.ProxyKind;
import io.envoyproxy.envoy.config.core.v3.Node;
import java.util.Map;
import java.util.TreeMap;

/**
 * Maps an xDS {@link Node} to the {@link ProxyIdentity} it claims. Pure and stateless.
 *
 * <p>Accepted forms:
 *
 * <ul>
 *   <li>Istio's node id {@code <type>~<ip>~<pod>.<namespace>~<namespace>.svc.<domain>} (written by the Istio agent for
 *       Envoy, and for proxyless gRPC bootstraps), with Istio's node metadata: {@code NAMESPACE},
 *       {@code SERVICE_ACCOUNT}, {@code LABELS}, {@code INSTANCE_IPS}, {@code NAME}, {@code GENERATOR}.
 *   <li>A plain id ({@code <pod>} or {@code <pod>.<namespace>}) plus the same metadata; then {@code NAMESPACE} (or the
 *       {@code .namespace} suffix) is required.
 * </ul>
 *
 * <p>The kind is {@link ProxyKind#PROXYLESS_GRPC} when metadata {@code GENERATOR} is {@code grpc} (Istio's marker for
 * proxyless gRPC), or when the node has no Istio id and its user agent is gRPC; otherwise {@link ProxyKind#SIDECAR}.
 * The result is a claim: on the secure port it is checked against the caller's authenticated identity.
 */
public final class NodeIdentityParser {
  private NodeIdentityParser() {}

  /**
   * @throws IllegalArgumentException when the node names no workload (empty id, no namespace)
   */
  public static ProxyIdentity parse(Node node) {
    String id = node.getId();
    if (id.isBlank()) {
      throw new IllegalArgumentException("xDS node has an empty id");
    }
    Map<String, Value> md = node.getMetadata().getFieldsMap();
    String metaNamespace = string(md, "NAMESPACE");
    String metaName = string(md, "NAME");
    String ip = "";
    String podAndNamespace;
    String domainNamespace = "";
    boolean istioId = false;
    String[] parts = id.split("~", -1);
    if (parts.length == 4) {
      istioId = true;
      ip = parts[1];
      podAndNamespace = parts[2];
      int dot = parts[3].indexOf('.');
      domainNamespace = dot > 0 ? parts[3].substring(0, dot) : parts[3];
    } else if (parts.length == 1) {
      podAndNamespace = id;
    } else {
      throw new IllegalArgumentException("xDS node id '" + id + "' is neither Istio's type~ip~pod.ns~domain nor a plain id");
    }

    String namespace = firstNonEmpty(metaNamespace, domainNamespace);
    if (namespace.isEmpty()) {
      int dot = podAndNamespace.lastIndexOf('.');
      if (dot > 0 && dot < podAndNamespace.length() - 1) {
        namespace = podAndNamespace.substring(dot + 1);
      }
    }
    if (namespace.isEmpty()) {
      throw new IllegalArgumentException("xDS node '" + id + "' names no namespace (metadata NAMESPACE or pod.namespace id)");
    }
    String pod = metaName;
    if (pod.isEmpty()) {
      pod = podAndNamespace.endsWith("." + namespace)
          ? podAndNamespace.substring(0, podAndNamespace.length() - namespace.length() - 1)
          : podAndNamespace;
    }
    if (pod.isEmpty()) {
      throw new IllegalArgumentException("xDS node '" + id + "' names no pod");
    }
    if (ip.isEmpty()) {
      String instanceIps = string(md, "INSTANCE_IPS");
      int comma = instanceIps.indexOf(',');
      ip = comma >= 0 ? instanceIps.substring(0, comma) : instanceIps;
    }

    String generator = string(md, "GENERATOR");
    ProxyKind kind;
    if ("grpc".equals(generator)) {
      kind = ProxyKind.PROXYLESS_GRPC;
    } else if (!istioId && generator.isEmpty() && node.getUserAgentName().toLowerCase().startsWith("grpc")) {
      kind = ProxyKind.PROXYLESS_GRPC;
    } else {
      kind = ProxyKind.SIDECAR;
    }
    return new ProxyIdentity(
        kind, ObjectKey.of(namespace, pod), ip.trim(), namespace, string(md, "SERVICE_ACCOUNT"), labels(md));
  }

  private static Map<String, String> labels(Map<String, Value> md) {
    Value v = md.get("LABELS");
    if (v == null || !v.hasStructValue()) {
      return Map.of();
    }
    Struct s = v.getStructValue();
    Map<String, String> out = new TreeMap<>();
    s.getFieldsMap().forEach((k, val) -> {
      if (val.hasStringValue()) {
        out.put(k, val.getStringValue());
      }
    });
    return out;
  }

  private static String string(Map<String, Value> md, String key) {
    Value v = md.get(key);
    return v != null && v.hasStringValue() ? v.getStringValue().trim() : "";
  }

  private static String firstNonEmpty(String a, String b) {
    return a.isEmpty() ? b : a;
  }
}
