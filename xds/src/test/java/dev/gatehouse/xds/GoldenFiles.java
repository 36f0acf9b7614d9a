package dev.gatehouse.xds;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import dev.gatehouse.model.MeshConfig;
import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.model.ObjectKey;
import dev.gatehouse.model.parse.MeshSnapshotLoader;
import dev.gatehouse.model.parse.ParseResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Istio-style golden files for translation. {@code <scenario>-in.yaml} holds Kubernetes objects (namespaces, pods,
 * services, endpoint slices, Istio policies) read through the model's {@link MeshSnapshotLoader}, plus one document
 * of kind {@code GoldenProxy} naming the proxy under test:
 *
 * <pre>
 * kind: GoldenProxy
 * workload: shop/cart-1           # namespace/pod
 * proxyKind: SIDECAR              # or PROXYLESS_GRPC
 * ip: 127.0.0.11                  # optional, defaults to the pod's IP
 * show: [listeners, clusters]     # optional: which resource kinds to print (default all four)
 * only: [virtualInbound]          # optional: print only resources with these names (errors/notices always)
 * mesh: {trustDomain: cluster.local, trustDomainAliases: [old.td], rootNamespace: istio-system,
 *        defaultServiceExportTo: ["."], defaultDestinationRuleExportTo: ["."]}                                                         # optional
 * options: {plaintextInboundPorts: [15020], autoMtls: true, minimumTlsVersion: TLSv1_2}          # optional
 * </pre>
 *
 * {@code <scenario>-out.yaml} holds the proxy's resources as YAML converted from protobuf JSON (JsonFormat with
 * {@link EnvoyTypes#REGISTRY} for {@code Any}), plus its errors and notices. Files are compared as parsed trees;
 * {@code -Dgolden.refresh=true} rewrites them.
 */
public final class GoldenFiles {
  public static final Path ROOT = Path.of("src/test/resources/golden");
  public static final boolean REFRESH = Boolean.getBoolean("golden.refresh");
  private static final Map<String, String> TYPE_KEYS = new LinkedHashMap<>();

  static {
    TYPE_KEYS.put("listeners", ProxyResources.LISTENER);
    TYPE_KEYS.put("routes", ProxyResources.ROUTE);
    TYPE_KEYS.put("clusters", ProxyResources.CLUSTER);
    TYPE_KEYS.put("endpoints", ProxyResources.ENDPOINT);
  }

  private GoldenFiles() {}

  /** One parsed scenario. */
  public record Scenario(
      Path in, Path out, MeshSnapshot snapshot, ProxyIdentity proxy, TranslationOptions options, List<String> show,
      List<String> only) {
    public String name() {
      return ROOT.relativize(in).toString().replace("-in.yaml", "");
    }
  }

  /** Every {@code *-in.yaml} under {@code ROOT/<dir>} for the given top-level directories, sorted. */
  public static List<Path> inputs(Set<String> excludedDirs) throws IOException {
    try (Stream<Path> s = Files.walk(ROOT)) {
      return s.filter(p -> p.getFileName().toString().endsWith("-in.yaml"))
          .filter(p -> !excludedDirs.contains(ROOT.relativize(p).getName(0).toString()))
          .sorted()
          .toList();
    }
  }

  static Yaml yaml() {
    LoaderOptions lo = new LoaderOptions();
    lo.setAllowDuplicateKeys(false);
    lo.setCodePointLimit(50 * 1024 * 1024);
    DumperOptions d = new DumperOptions();
    d.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
    d.setIndent(2);
    d.setIndicatorIndent(0);
    d.setWidth(140);
    d.setSplitLines(false);
    return new Yaml(new SafeConstructor(lo), new org.yaml.snakeyaml.representer.Representer(d), d, lo);
  }

  @SuppressWarnings("unchecked")
  public static Scenario read(Path in) throws IOException {
    String text = Files.readString(in, StandardCharsets.UTF_8);
    List<Object> objects = new ArrayList<>();
    Map<String, Object> golden = null;
    for (Object doc : yaml().loadAll(text)) {
      if (doc instanceof Map<?, ?> m && "GoldenProxy".equals(m.get("kind"))) {
        golden = (Map<String, Object>) m;
      } else if (doc != null) {
        objects.add(doc);
      }
    }
    if (golden == null) {
      throw new IllegalArgumentException(in + ": no GoldenProxy document");
    }
    MeshConfig mesh = meshOf((Map<String, Object>) golden.getOrDefault("mesh", Map.of()));
    MeshSnapshotLoader loader = new MeshSnapshotLoader(mesh);
    List<ParseResult> results = new ArrayList<>();
    var parser = new dev.gatehouse.model.parse.KubernetesObjectParser(mesh);
    for (Object o : objects) {
      results.addAll(parser.parseAll(o, in.getFileName().toString()));
    }
    MeshSnapshotLoader.Loaded loaded = loader.assemble(results, 1);
    if (!loaded.problems().isEmpty()) {
      throw new IllegalArgumentException(in + ": input problems " + loaded.problems());
    }
    MeshSnapshot snapshot = loaded.snapshot();
    String[] wl = String.valueOf(golden.get("workload")).split("/", 2);
    ObjectKey key = ObjectKey.of(wl[0], wl[1]);
    ProxyKind kind = ProxyKind.valueOf(String.valueOf(golden.getOrDefault("proxyKind", "SIDECAR")));
    var pod = snapshot.workload(key);
    String ip = golden.containsKey("ip") ? String.valueOf(golden.get("ip")) : pod.map(w -> w.ip()).orElse("");
    ProxyIdentity proxy = new ProxyIdentity(kind, key, ip, key.namespace(),
        pod.map(w -> w.serviceAccount()).orElse(String.valueOf(golden.getOrDefault("serviceAccount", "default"))),
        pod.map(w -> w.labels()).orElse((Map<String, String>) golden.getOrDefault("labels", Map.of())));
    TranslationOptions options = optionsOf((Map<String, Object>) golden.getOrDefault("options", Map.of()));
    List<String> show = (List<String>) golden.getOrDefault("show", List.copyOf(TYPE_KEYS.keySet()));
    Path out = in.resolveSibling(in.getFileName().toString().replace("-in.yaml", "-out.yaml"));
    List<String> only = (List<String>) golden.getOrDefault("only", List.of());
    return new Scenario(in, out, snapshot, proxy, options, show, only);
  }

  @SuppressWarnings("unchecked")
  static MeshConfig meshOf(Map<String, Object> m) {
    MeshConfig d = MeshConfig.defaults();
    return new MeshConfig(
        String.valueOf(m.getOrDefault("trustDomain", d.trustDomain())),
        (List<String>) m.getOrDefault("trustDomainAliases", List.of()),
        String.valueOf(m.getOrDefault("rootNamespace", d.rootNamespace())),
        d.defaultMtlsMode(),
        d.clusterDomain(),
        (List<String>) m.getOrDefault("defaultServiceExportTo", d.defaultServiceExportTo()),
        (List<String>) m.getOrDefault("defaultDestinationRuleExportTo", d.defaultDestinationRuleExportTo()));
  }

  @SuppressWarnings("unchecked")
  static TranslationOptions optionsOf(Map<String, Object> m) {
    TranslationOptions d = TranslationOptions.defaults();
    List<Integer> ports = (List<Integer>) m.getOrDefault("plaintextInboundPorts", List.of());
    return new TranslationOptions(
        Set.copyOf(ports),
        (Boolean) m.getOrDefault("autoMtls", d.autoMtls()),
        String.valueOf(m.getOrDefault("minimumTlsVersion", d.minimumTlsVersion())),
        (List<String>) m.getOrDefault("cipherSuites", d.cipherSuites()));
  }

  /** The out-file tree: resources per kind (as protobuf JSON turned into YAML), then errors and notices. */
  public static Map<String, Object> render(ProxyResources r, List<String> show, List<String> only) {
    Map<String, Object> out = new LinkedHashMap<>();
    TYPE_KEYS.forEach((key, typeUrl) -> {
      if (show.contains(key)) {
        List<Object> items = new ArrayList<>();
        r.of(typeUrl).forEach((name, m) -> {
          if (only.isEmpty() || only.contains(name)) {
            items.add(toTree(m));
          }
        });
        out.put(key, items);
      }
    });
    List<Object> errors = new ArrayList<>();
    r.errors().forEach(e -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("policy", e.policy());
      m.put("message", e.message());
      m.put("failClosedEffect", e.failClosedEffect());
      errors.add(m);
    });
    out.put("errors", errors);
    List<Object> notices = new ArrayList<>();
    r.notices().forEach(n -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("subject", n.subject());
      m.put("message", n.message());
      notices.add(m);
    });
    out.put("notices", notices);
    return out;
  }

  public static Object toTree(Message m) {
    try {
      String json = JsonFormat.printer().usingTypeRegistry(EnvoyTypes.REGISTRY).print(m);
      return yaml().load(json);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("cannot print " + m.getDescriptorForType().getFullName(), e);
    }
  }

  public static String dump(Object tree) {
    return yaml().dump(tree);
  }

  /** Normalizes through one dump/load so numbers and strings compare as the file would hold them. */
  public static Object normalize(Object tree) {
    return yaml().load(dump(tree));
  }
}
