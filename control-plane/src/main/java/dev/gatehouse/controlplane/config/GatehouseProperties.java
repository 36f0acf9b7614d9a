package dev.gatehouse.controlplane.config;

import dev.gatehouse.model.MeshConfig;
import dev.gatehouse.model.MtlsMode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Every Gatehouse setting, under the prefix {@code gatehouse}. Immutable; bound once at startup.
 *
 * @param trustDomain SPIFFE trust domain of workload identities
 * @param trustDomainAliases other trust domains accepted as this mesh's
 * @param rootNamespace namespace whose selector-less policies apply mesh-wide (Istio's {@code rootNamespace})
 * @param clusterDomain DNS suffix of services
 * @param defaultMtlsMode mTLS mode when no PeerAuthentication sets one (Istio's implicit default: PERMISSIVE)
 * @param source where the mesh comes from; see {@link SourceMode}
 * @param config file source settings ({@code gatehouse.config.dir}, also {@code --config-dir})
 * @param debounce how long changes are collected before subscribers see a new snapshot
 * @param grpc gRPC ports and bind addresses (served by the CA and xDS servers)
 * @param stateDir where Gatehouse keeps state on disk (CA keys in file mode); empty = {@code ./.gatehouse/state}
 * @param namespace the namespace the control plane runs in ({@code POD_NAMESPACE}, else istio-system)
 * @param kubernetes Kubernetes source settings
 * @param defaultServiceExportTo Istio's MeshConfig {@code defaultServiceExportTo}: where Services without the
 *     {@code networking.istio.io/exportTo} annotation are visible ({@code *} = all namespaces, the default;
 *     {@code .} = own namespace only, Istio's namespace isolation). Invalid values fail startup.
 * @param defaultDestinationRuleExportTo Istio's MeshConfig {@code defaultDestinationRuleExportTo}: where
 *     DestinationRules without {@code exportTo} apply (default {@code *}). Invalid values fail startup.
 */
@ConfigurationProperties("gatehouse")
public record GatehouseProperties(
    @DefaultValue("cluster.local") String trustDomain,
    List<String> trustDomainAliases,
    @DefaultValue("istio-system") String rootNamespace,
    @DefaultValue("cluster.local") String clusterDomain,
    @DefaultValue("PERMISSIVE") MtlsMode defaultMtlsMode,
    @DefaultValue("auto") SourceMode source,
    @DefaultValue Config config,
    @DefaultValue Debounce debounce,
    @DefaultValue Grpc grpc,
    String stateDir,
    @DefaultValue("istio-system") String namespace,
    @DefaultValue Kubernetes kubernetes,
    List<String> defaultServiceExportTo,
    List<String> defaultDestinationRuleExportTo) {

  public GatehouseProperties {
    trustDomainAliases = trustDomainAliases == null ? List.of() : List.copyOf(trustDomainAliases);
    defaultServiceExportTo = defaultServiceExportTo == null ? List.of("*") : List.copyOf(defaultServiceExportTo);
    defaultDestinationRuleExportTo =
        defaultDestinationRuleExportTo == null ? List.of("*") : List.copyOf(defaultDestinationRuleExportTo);
  }

  /**
   * @param dir directory of Kubernetes YAML to serve; setting it selects the file source in {@code auto} mode
   * @param rescanInterval how often the directory is rescanned in addition to file-system events, which some file
   *     systems (network mounts, some container overlays) do not deliver
   */
  public record Config(String dir, @DefaultValue("2s") Duration rescanInterval) {
    /** The directory as a path; paths are kept as text when binding, since Spring would read them as resources. */
    public Optional<Path> dirPath() {
      return dir == null || dir.isBlank() ? Optional.empty() : Optional.of(Path.of(dir));
    }
  }

  /**
   * Istio's PILOT_DEBOUNCE_AFTER / PILOT_DEBOUNCE_MAX: a push happens once no change arrived for {@code quietPeriod},
   * or {@code maxDelay} after the first unpushed change, whichever comes first.
   */
  public record Debounce(@DefaultValue("100ms") Duration quietPeriod, @DefaultValue("10s") Duration maxDelay) {}

  /**
   * @param securePort TLS port for xDS and the CA (istiod: 15012)
   * @param plaintextPort plaintext xDS port (istiod: 15010); never serves the CA
   * @param address bind address of the secure port; defaults to 127.0.0.1 outside a cluster, 0.0.0.0 in a pod
   * @param plaintextAddress bind address of the plaintext port; same defaults
   * @param plaintextEnabled whether the plaintext xDS port is opened at all. {@code false} is the hardened setting:
   *     every proxy then reads its config over the secure port, authenticated by its workload certificate or token
   *     (Envoy through istio-agent, proxyless gRPC through the agent's local xDS proxy). Default {@code true}, as istiod.
   */
  public record Grpc(
      @DefaultValue("15012") int securePort,
      @DefaultValue("15010") int plaintextPort,
      @DefaultValue("127.0.0.1") String address,
      @DefaultValue("127.0.0.1") String plaintextAddress,
      @DefaultValue("true") boolean plaintextEnabled) {}

  /**
   * @param istioApiVersion the version of the Istio security CRDs to watch. The API server converts between served
   *     versions, so watching one is enough and watching two would deliver every object twice; v1 is the storage
   *     version since Istio 1.22. Use v1beta1 for clusters whose CRDs predate v1.
   * @param networkingApiVersion the version of networking.istio.io (DestinationRule) to watch
   * @param resync informer resync period; 0 disables resync (updates with an unchanged resourceVersion are no-ops
   *     anyway)
   */
  public record Kubernetes(
      @DefaultValue("v1") String istioApiVersion,
      @DefaultValue("v1") String networkingApiVersion,
      @DefaultValue("0s") Duration resync) {}

  public MeshConfig meshConfig() {
    return new MeshConfig(
        trustDomain, trustDomainAliases, rootNamespace, defaultMtlsMode, clusterDomain, defaultServiceExportTo,
        defaultDestinationRuleExportTo);
  }

  /** The state directory to use: the configured one, else {@code ./.gatehouse/state}. */
  public Path resolvedStateDir() {
    return stateDir != null && !stateDir.isBlank() ? Path.of(stateDir) : Path.of(".gatehouse", "state");
  }
}
