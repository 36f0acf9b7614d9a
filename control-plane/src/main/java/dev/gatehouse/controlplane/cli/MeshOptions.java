package dev.gatehouse.controlplane.cli;

import dev.gatehouse.controlplane.ca.TokenCommand.GoDuration;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * Where the posture commands read the mesh: a directory of manifests ({@code -f}), a running Gatehouse
 * ({@code --server}), or else the cluster of the kubeconfig (like kubectl). The remaining options describe what a
 * directory or a cluster cannot tell: the Gatehouse settings the analysis should assume.
 */
public final class MeshOptions {
  @Option(names = {"-f", "--filename"}, paramLabel = "DIR",
      description = "a directory of Kubernetes/Istio YAML (read as `serve --config-dir DIR` reads it)")
  Path dir;

  @Option(names = "--server", paramLabel = "URL",
      description = "ask a running Gatehouse (its HTTP port, e.g. http://127.0.0.1:15014): the /debug endpoints "
          + "answer with the figures of the config it serves")
  URI server;

  @Option(names = "--kubeconfig", paramLabel = "FILE",
      description = "read the cluster of this kubeconfig (default: $KUBECONFIG, ~/.kube/config, or in-cluster)")
  Path kubeconfig;

  @Option(names = "--context", paramLabel = "NAME", description = "kubeconfig context (default: the current one)")
  String context;

  @Option(names = "--trust-domain", paramLabel = "DOMAIN", defaultValue = "cluster.local",
      description = "the mesh trust domain, as gatehouse.trust-domain (default: ${DEFAULT-VALUE})")
  String trustDomain;

  @Option(names = "--root-namespace", paramLabel = "NS", defaultValue = "istio-system",
      description = "the mesh root namespace, as gatehouse.root-namespace (default: ${DEFAULT-VALUE})")
  String rootNamespace;

  @Option(names = "--plaintext-inbound-ports", paramLabel = "PORT", split = ",",
      description = "as gatehouse.xds.plaintext-inbound-ports: ports every sidecar accepts in plaintext")
  List<Integer> plaintextInboundPorts = new ArrayList<>();

  @Option(names = "--ca-dir", paramLabel = "DIR",
      description = "the CA's certificates: root-cert.pem and, when present, ca-cert.pem (a plugged-in CA "
          + "directory or Gatehouse's file-mode state directory)")
  Path caDir;

  @Option(names = "--workload-cert-ttl", paramLabel = "DURATION", defaultValue = "24h", converter = GoDuration.class,
      description = "as gatehouse.ca.default-workload-cert-ttl (default: ${DEFAULT-VALUE})")
  Duration workloadCertTtl;

  @Option(names = "--offline", description = "do not fetch the jwksUris of RequestAuthentications")
  boolean offline;

  @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "30s", converter = GoDuration.class,
      description = "how long to wait for the cluster, the server or a jwksUri (default: ${DEFAULT-VALUE})")
  Duration timeout;
}
