package dev.gatehouse.controlplane.cli;

import dev.gatehouse.ca.pem.PemCodec;
import dev.gatehouse.ca.signer.pluggedin.PluggedInCaMaterial;
import dev.gatehouse.controlplane.source.ConfigInputErrors;
import dev.gatehouse.controlplane.source.ConfigInputErrors.Reason;
import dev.gatehouse.controlplane.source.ConfigSource;
import dev.gatehouse.controlplane.source.FileConfigSource;
import dev.gatehouse.controlplane.source.KubernetesConfigSource;
import dev.gatehouse.controlplane.source.MeshConfigStream;
import dev.gatehouse.model.MeshConfig;
import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.model.parse.KubernetesObjectParser;
import dev.gatehouse.posture.CaFacts;
import dev.gatehouse.posture.InputProblem;
import dev.gatehouse.posture.JwksFetch;
import dev.gatehouse.posture.PostureInput;
import dev.gatehouse.xds.TranslationOptions;
import dev.gatehouse.xds.authn.JwksResolver;
import dev.gatehouse.xds.authn.JwksSnapshot;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Reads the mesh for the posture commands, with the same config sources {@code serve} uses (so a file the server would
 * skip is skipped here, and reported): one pass over a directory, or one list of every watched kind from the cluster.
 * Then fetches each {@code jwksUri} once, as the server would before sending key sets. The one place of the CLI's
 * input I/O.
 */
final class MeshReader {
  private MeshReader() {}

  static PostureInput read(MeshOptions o) {
    MeshConfig mesh = new MeshConfig(o.trustDomain, List.of(), o.rootNamespace, dev.gatehouse.model.MtlsMode.PERMISSIVE,
        MeshConfig.defaults().clusterDomain(), MeshConfig.defaults().defaultServiceExportTo(),
        MeshConfig.defaults().defaultDestinationRuleExportTo());
    List<InputProblem> problems = Collections.synchronizedList(new ArrayList<>());
    ConfigInputErrors errors = new ConfigInputErrors(new SimpleMeterRegistry(), (reason, what, detail) -> {
      if (reason != Reason.INVALID_SPEC) { // those are invalid policies in the snapshot: GH0015 reports them
        problems.add(new InputProblem(what, detail));
      }
    });
    KubernetesObjectParser parser = new KubernetesObjectParser(mesh);
    String source;
    MeshSnapshot snapshot;
    try (MeshConfigStream stream = new MeshConfigStream(mesh, Duration.ZERO, Duration.ZERO, errors,
        new SimpleMeterRegistry())) {
      if (o.dir != null) {
        if (!Files.isDirectory(o.dir)) {
          throw new CliException(GatehouseCli.INPUT, "-f " + o.dir + ": no such directory");
        }
        source = "directory " + o.dir.toAbsolutePath().normalize();
        try (ConfigSource files = new FileConfigSource(o.dir, parser, stream, errors, Duration.ofDays(1))) {
          files.start();
          snapshot = stream.current();
        } catch (Exception e) {
          throw new CliException(GatehouseCli.INPUT, "-f " + o.dir + ": " + e.getMessage(), e);
        }
      } else {
        Config config = kubeconfig(o);
        source = "cluster " + config.getMasterUrl();
        try (KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
            ConfigSource cluster = new KubernetesConfigSource(client, parser, stream, errors, "v1", "v1",
                Duration.ZERO)) {
          cluster.start();
          snapshot = stream.initialSync().toCompletableFuture().get(o.timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
          throw new CliException(GatehouseCli.INPUT, "cluster " + config.getMasterUrl() + " did not list every kind "
              + "within --timeout " + o.timeout.toSeconds() + "s (is it reachable? does the kubeconfig allow list/watch?)");
        } catch (ExecutionException e) {
          throw new CliException(GatehouseCli.INPUT, "cluster " + config.getMasterUrl() + ": " + e.getCause(), e);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new CliException(GatehouseCli.INPUT, "interrupted");
        } catch (Exception e) {
          throw new CliException(GatehouseCli.INPUT, "cluster " + config.getMasterUrl() + ": " + e.getMessage(), e);
        }
      }
    }
    Map<String, String> keySets = new TreeMap<>();
    Map<String, JwksFetch> fetched = o.offline ? Map.of() : fetchJwks(snapshot, o.timeout, keySets);
    TranslationOptions options = TranslationOptions.defaults()
        .withPlaintextInboundPorts(new TreeSet<>(o.plaintextInboundPorts));
    options = options.withAuthz(options.authz().withJwks(new JwksSnapshot(keySets)));
    List<InputProblem> sorted = new ArrayList<>(problems);
    sorted.sort(java.util.Comparator.comparing(InputProblem::source));
    return new PostureInput(snapshot, options, Optional.empty(), ca(o), fetched, sorted, source, Instant.now());
  }

  private static Config kubeconfig(MeshOptions o) {
    if (o.kubeconfig != null) {
      if (!Files.isReadable(o.kubeconfig)) {
        throw new CliException(GatehouseCli.INPUT, "--kubeconfig " + o.kubeconfig + ": cannot read it");
      }
      System.setProperty(Config.KUBERNETES_KUBECONFIG_FILE, o.kubeconfig.toAbsolutePath().toString());
    }
    return Config.autoConfigure(o.context);
  }

  /** Fetches every jwksUri; {@code keySets} receives the usable documents, as the server would send them. */
  private static Map<String, JwksFetch> fetchJwks(MeshSnapshot snapshot, Duration timeout, Map<String, String> keySets) {
    Map<String, JwksFetch> out = new TreeMap<>();
    JwksResolver.JwksFetcher fetcher = JwksResolver.httpFetcher();
    for (String uri : JwksResolver.jwksUris(snapshot)) {
      try {
        String body = fetcher.fetch(URI.create(uri), timeout.compareTo(Duration.ofSeconds(5)) < 0
            ? timeout : Duration.ofSeconds(5));
        JwksFetch f = JwksFetch.of(uri, body);
        out.put(uri, f);
        if (f.ok()) {
          keySets.put(uri, body);
        }
      } catch (IOException | RuntimeException e) {
        out.put(uri, JwksFetch.failed(uri, e.toString()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        out.put(uri, JwksFetch.failed(uri, "interrupted"));
      }
    }
    return out;
  }

  private static CaFacts ca(MeshOptions o) {
    String rotation = CaFacts.AGENT_ROTATION;
    if (o.caDir == null) {
      return new CaFacts("unknown", "not read (give --ca-dir, or --server for a running Gatehouse)", List.of(),
          List.of(), Optional.of(o.workloadCertTtl), Optional.empty(), rotation, "");
    }
    try {
      Path root = o.caDir.resolve(PluggedInCaMaterial.ROOT_CERT);
      List<X509Certificate> roots = PemCodec.decodeCertificates(Files.readString(root));
      List<X509Certificate> intermediates = new ArrayList<>();
      Path ca = o.caDir.resolve(PluggedInCaMaterial.CA_CERT);
      if (Files.isRegularFile(ca)) {
        for (X509Certificate c : PemCodec.decodeCertificates(Files.readString(ca))) {
          if (!roots.contains(c)) {
            intermediates.add(c);
          }
        }
      }
      return new CaFacts(intermediates.isEmpty() ? "self-signed" : "plugged", "--ca-dir " + o.caDir, roots,
          intermediates, Optional.of(o.workloadCertTtl), Optional.empty(), rotation, "");
    } catch (IOException | PemCodec.PemException | RuntimeException e) {
      throw new CliException(GatehouseCli.INPUT, "--ca-dir " + o.caDir + ": " + e.getMessage(), e);
    }
  }
}
