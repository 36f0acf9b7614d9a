package dev.gatehouse.it.agent;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The grpc xDS bootstrap istio-agent writes for proxyless gRPC ({@code pkg/istio-agent/grpcxds/grpc_bootstrap.go}):
 * one xDS server, {@code server_features: ["xds_v3"]}, a sidecar-style node id with metadata {@code GENERATOR=grpc},
 * a {@code file_watcher} certificate provider named {@code default} reading the agent's files, and the server
 * listener template {@code grpc/server?xds.resource.listening_address=%s}.
 *
 * <p>Transport to the xDS server: grpc-java 1.85's bootstrap {@code tls} channel credentials
 * ({@code io.grpc.xds.internal.TlsXdsCredentialsProvider}) ignore their config and use the JVM's default trust
 * store, with no client certificate and no call credentials, so a grpc-java peer cannot prove its identity on
 * Gatehouse's secure xDS port by itself. istio-agent solves this with a local xDS proxy (the bootstrap points at a
 * unix socket, {@code insecure}); these tests use Gatehouse's plaintext xDS port (15010) with {@code insecure},
 * which istiod also serves. Immutable.
 *
 * @param xdsServerUri {@code host:port} of the xDS server
 * @param channelCreds {@code insecure} or {@code tls}
 * @param nodeId {@code sidecar~<podIP>~<pod>.<ns>~<ns>.svc.cluster.local}
 * @param nodeMetadata node metadata (GENERATOR, NAMESPACE, SERVICE_ACCOUNT, INSTANCE_IPS, LABELS, ...)
 * @param certificateDir directory holding key.pem, cert-chain.pem and root-cert.pem; null for a workload without
 *     certificates (it can only speak plaintext)
 * @param refreshInterval how often grpc's file watcher re-reads the files
 */
public record GrpcXdsBootstrap(
    String xdsServerUri,
    String channelCreds,
    String nodeId,
    Map<String, Object> nodeMetadata,
    Path certificateDir,
    Duration refreshInterval) {

  public static final String SERVER_LISTENER_TEMPLATE = "grpc/server?xds.resource.listening_address=%s";
  public static final String CERTIFICATE_PROVIDER = "default";

  public GrpcXdsBootstrap {
    Objects.requireNonNull(xdsServerUri, "xdsServerUri");
    Objects.requireNonNull(channelCreds, "channelCreds");
    Objects.requireNonNull(nodeId, "nodeId");
    nodeMetadata = Map.copyOf(nodeMetadata);
    Objects.requireNonNull(refreshInterval, "refreshInterval");
  }

  /** Node id and metadata of a proxyless gRPC pod, the way istio-agent fills them in. */
  public static GrpcXdsBootstrap forPod(
      String xdsServerUri,
      String podName,
      String namespace,
      String podIp,
      String serviceAccount,
      Map<String, String> labels,
      String clusterDomain,
      Path certificateDir) {
    String nodeId = "sidecar~" + podIp + "~" + podName + "." + namespace + "~" + namespace + ".svc." + clusterDomain;
    Map<String, Object> metadata = new TreeMap<>();
    metadata.put("GENERATOR", "grpc");
    metadata.put("NAMESPACE", namespace);
    metadata.put("SERVICE_ACCOUNT", serviceAccount);
    metadata.put("INSTANCE_IPS", podIp);
    metadata.put("NAME", podName);
    metadata.put("LABELS", new TreeMap<>(labels));
    return new GrpcXdsBootstrap(xdsServerUri, "insecure", nodeId, metadata, certificateDir, Duration.ofSeconds(1));
  }

  public String toJson() {
    JsonObject root = new JsonObject();
    JsonArray servers = new JsonArray();
    JsonObject server = new JsonObject();
    server.addProperty("server_uri", xdsServerUri);
    JsonArray creds = new JsonArray();
    JsonObject cred = new JsonObject();
    cred.addProperty("type", channelCreds);
    creds.add(cred);
    server.add("channel_creds", creds);
    JsonArray features = new JsonArray();
    features.add("xds_v3");
    server.add("server_features", features);
    servers.add(server);
    root.add("xds_servers", servers);

    JsonObject node = new JsonObject();
    node.addProperty("id", nodeId);
    node.add("metadata", new GsonBuilder().create().toJsonTree(nodeMetadata));
    JsonObject locality = new JsonObject();
    node.add("locality", locality);
    root.add("node", node);

    if (certificateDir != null) {
      JsonObject config = new JsonObject();
      config.addProperty("certificate_file", certificateDir.resolve(WorkloadAgent.CERT_CHAIN).toString());
      config.addProperty("private_key_file", certificateDir.resolve(WorkloadAgent.KEY).toString());
      config.addProperty("ca_certificate_file", certificateDir.resolve(WorkloadAgent.ROOT_CERT).toString());
      config.addProperty("refresh_interval", refreshInterval.toSeconds() + "s");
      JsonObject provider = new JsonObject();
      provider.addProperty("plugin_name", "file_watcher");
      provider.add("config", config);
      JsonObject providers = new JsonObject();
      providers.add(CERTIFICATE_PROVIDER, provider);
      root.add("certificate_providers", providers);
    }
    root.addProperty("server_listener_resource_name_template", SERVER_LISTENER_TEMPLATE);
    return new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(root);
  }

  /** Writes the bootstrap atomically (grpc reads it once, at the first xDS channel or server of the JVM). */
  public Path writeTo(Path file) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), ".bootstrap", ".tmp");
    Files.writeString(tmp, toJson(), StandardCharsets.UTF_8);
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    return file;
  }
}
