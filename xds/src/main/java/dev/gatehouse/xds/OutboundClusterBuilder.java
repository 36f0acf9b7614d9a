package dev.gatehouse.xds;

import com.google.protobuf.BoolValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.gatehouse.api.istio.networking.v1alpha3.ClientTLSSettings;
import dev.gatehouse.api.istio.networking.v1alpha3.DestinationRule;
import dev.gatehouse.model.EndpointSliceInfo;
import dev.gatehouse.model.LabelSelector;
import dev.gatehouse.model.MeshConfig;
import dev.gatehouse.model.MeshSnapshot;
import dev.gatehouse.model.MtlsMode;
import dev.gatehouse.model.ObjectKey;
import dev.gatehouse.model.Policy;
import dev.gatehouse.model.ServiceInfo;
import dev.gatehouse.model.ServicePort;
import dev.gatehouse.model.Workload;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Outbound EDS clusters {@code outbound|<port>|<subset>|<fqdn>} with their client TLS: DestinationRule DISABLE /
 * SIMPLE / MUTUAL / ISTIO_MUTUAL (pilot/pkg/networking/core/cluster_tls.go), or auto-mTLS when no rule sets
 * {@code tls}. Pure; thread-safe (a concurrent memo of service identities; errors go to the caller's sink).
 */
public final class OutboundClusterBuilder {
  public static final String TLS_MODE_LABEL = "security.istio.io/tlsMode";
  public static final String TRANSPORT_SOCKET_MATCH = "envoy.transport_socket_match";
  /** Istio reads a workload's system trust store when a SIMPLE/MUTUAL rule gives no caCertificates. */
  static final String SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";

  private final MeshSnapshot snapshot;
  private final PeerAuthenticationResolver peerAuth;
  private final TranslationOptions options;
  private final java.util.Map<ObjectKey, List<String>> identities = new java.util.concurrent.ConcurrentHashMap<>();

  public OutboundClusterBuilder(MeshSnapshot snapshot, PeerAuthenticationResolver peerAuth, TranslationOptions options) {
    this.snapshot = snapshot;
    this.peerAuth = peerAuth;
    this.options = options;
  }

  public static String clusterName(int port, String subset, String fqdn) {
    return "outbound|" + port + "|" + subset + "|" + fqdn;
  }

  /** Istio's ISTIO_MUTUAL SNI: {@code outbound_.<port>_.<subset>_.<fqdn>}. */
  public static String sni(int port, String subset, String fqdn) {
    return "outbound_." + port + "_." + subset + "_." + fqdn;
  }

  /**
   * The SPIFFE identities a caller must see on this service's servers: the service accounts of the pods behind it
   * (selected pods, plus pods named by its EndpointSlices), expanded with trust-domain aliases as Istio does.
   */
  public List<String> serviceIdentities(ServiceInfo service) {
    return identities.computeIfAbsent(service.key(), k -> computeIdentities(service));
  }

  private List<String> computeIdentities(ServiceInfo service) {
    TreeSet<String> accounts = new TreeSet<>();
    for (Workload w : snapshot.workloadsInNamespace(service.namespace())) {
      if (LabelSelector.serviceSelects(service.selector(), w.labels())) {
        accounts.add(w.serviceAccount());
      }
    }
    for (EndpointSliceInfo slice : snapshot.endpointSlicesForService(service.key())) {
      for (EndpointSliceInfo.Endpoint e : slice.endpoints()) {
        if (!e.podName().isEmpty()) {
          snapshot.workload(ObjectKey.of(service.namespace(), e.podName()))
              .ifPresent(w -> accounts.add(w.serviceAccount()));
        }
      }
    }
    MeshConfig mesh = snapshot.mesh();
    List<String> ids = new ArrayList<>();
    for (String sa : accounts) {
      ids.add(mesh.spiffeId(service.namespace(), sa));
      for (String alias : mesh.trustDomainAliases()) {
        ids.add("spiffe://" + alias + "/ns/" + service.namespace() + "/sa/" + sa);
      }
    }
    return List.copyOf(ids);
  }

  /** Sidecar cluster; errors about the DestinationRule go to {@code errors}. */
  public Cluster sidecarCluster(
      ServiceInfo service, ServicePort port, String subset, Optional<Policy<DestinationRule>> dr,
      List<TranslationError> errors) {
    String name = clusterName(port.port(), subset, service.fqdn());
    PortProtocol protocol = PortProtocol.of(port);
    Cluster.Builder c = edsCluster(name)
        .setCommonLbConfig(Cluster.CommonLbConfig.newBuilder()
            .setLocalityWeightedLbConfig(Cluster.CommonLbConfig.LocalityWeightedLbConfig.getDefaultInstance()));
    if (protocol == PortProtocol.HTTP2) {
      EnvoyFilters.explicitHttp2(c);
    }
    Optional<ClientTLSSettings> tls = dr.flatMap(d -> DestinationRuleIndex.tlsFor(d.spec(), port.port(), subset));
    if (tls.isPresent()) {
      String policy = dr.get().meta().describe();
      switch (tls.get().getMode()) {
        case ISTIO_MUTUAL -> c.setTransportSocket(istioMutual(service, port, subset, protocol));
        case SIMPLE, MUTUAL -> c.setTransportSocket(MeshTls.tls(userTls(tls.get(), policy, errors)));
        default -> { } // DISABLE: plaintext, and no auto-mTLS either
      }
    } else if (autoMtls(service)) {
      c.addTransportSocketMatches(Cluster.TransportSocketMatch.newBuilder()
          .setName("tlsMode-istio")
          .setMatch(Struct.newBuilder().putFields("tlsMode", Value.newBuilder().setStringValue("istio").build()))
          .setTransportSocket(istioMutual(service, port, subset, protocol)));
      c.addTransportSocketMatches(Cluster.TransportSocketMatch.newBuilder()
          .setName("tlsMode-disabled")
          .setMatch(Struct.getDefaultInstance())
          .setTransportSocket(MeshTls.rawBuffer()));
    }
    return c.build();
  }

  /**
   * Proxyless gRPC cluster. grpc-java ignores transport_socket_matches, so auto-mTLS can only be all-or-nothing:
   * TLS when the inferred server mode is STRICT (as Istio's grpcgen does). SIMPLE/MUTUAL need file or SDS
   * certificates grpc-java cannot load: reported, and the cluster is left out so calls fail instead of going out
   * in plaintext.
   */
  public Optional<Cluster> grpcCluster(
      ServiceInfo service, ServicePort port, Optional<Policy<DestinationRule>> dr, List<TranslationError> errors) {
    String name = clusterName(port.port(), "", service.fqdn());
    Cluster.Builder c = edsCluster(name);
    Optional<ClientTLSSettings> tls = dr.flatMap(d -> DestinationRuleIndex.tlsFor(d.spec(), port.port(), ""));
    if (tls.isPresent()) {
      switch (tls.get().getMode()) {
        case ISTIO_MUTUAL -> c.setTransportSocket(MeshTls.tls(MeshTls.grpcClient(serviceIdentities(service))));
        case SIMPLE, MUTUAL -> {
          errors.add(new TranslationError(dr.get().meta().describe(),
              "tls mode " + tls.get().getMode() + " for " + service.fqdn() + ":" + port.port()
                  + " is not supported by proxyless gRPC clients (only ISTIO_MUTUAL and DISABLE)",
              "cluster " + name + " is not sent to proxyless clients; their calls to it fail"));
          return Optional.empty();
        }
        default -> { }
      }
    } else if (options.autoMtls() && peerAuth.namespaceMode(service.namespace()) == MtlsMode.STRICT) {
      c.setTransportSocket(MeshTls.tls(MeshTls.grpcClient(serviceIdentities(service))));
    }
    return Optional.of(c.build());
  }

  /**
   * Istio: auto-mTLS applies when enabled, the rule has no tls, and the inferred server mode (namespace/mesh
   * PeerAuthentication only) is not DISABLE.
   */
  boolean autoMtls(ServiceInfo service) {
    return options.autoMtls() && peerAuth.namespaceMode(service.namespace()) != MtlsMode.DISABLE;
  }

  private static Cluster.Builder edsCluster(String name) {
    return Cluster.newBuilder()
        .setName(name)
        .setType(Cluster.DiscoveryType.EDS)
        .setEdsClusterConfig(Cluster.EdsClusterConfig.newBuilder()
            .setEdsConfig(EnvoyFilters.ads())
            .setServiceName(name))
        .setConnectTimeout(EnvoyFilters.seconds(10))
        .setLbPolicy(Cluster.LbPolicy.ROUND_ROBIN);
  }

  /**
   * ISTIO_MUTUAL to this service's port: the SNI is per cluster, the rest (certificates, ALPN, the SANs of the
   * service's identities) is the same for every service with the same identities and protocol, so it is built and
   * serialized once per translation ({@link #istioMutualCommon}) and the SNI appended to its bytes.
   */
  private TransportSocket istioMutual(ServiceInfo service, ServicePort port, String subset, PortProtocol protocol) {
    List<String> ids = serviceIdentities(service);
    com.google.protobuf.ByteString common =
        istioMutualCommon.computeIfAbsent(List.of(ids, protocol), k -> istioMutualCommon(ids, protocol));
    return MeshTls.tls(UpstreamTlsContext.getDescriptor(), withSni(common, sni(port.port(), subset, service.fqdn())));
  }

  /**
   * {@code context} (an UpstreamTlsContext without SNI, serialized) with {@code sni} set. Protobuf's wire format
   * merges concatenated messages, and sni (field 2) follows common_tls_context (field 1), the only field set in
   * {@code context}: the bytes are exactly the deterministic serialization of the whole message (tested).
   */
  static com.google.protobuf.ByteString withSni(com.google.protobuf.ByteString context, String sni) {
    return context.concat(UpstreamTlsContext.newBuilder().setSni(sni).build().toByteString());
  }

  private final java.util.Map<List<Object>, com.google.protobuf.ByteString> istioMutualCommon =
      new java.util.concurrent.ConcurrentHashMap<>();

  private com.google.protobuf.ByteString istioMutualCommon(List<String> ids, PortProtocol protocol) {
    // For HTTP clusters, what Istio's istio.alpn filter would write; the server picks h2 / http/1.1 from it.
    List<String> alpn = switch (protocol) {
      case HTTP -> MeshTls.OUTBOUND_HTTP_ALPN;
      case HTTP2 -> MeshTls.OUTBOUND_H2_HTTP_ALPN;
      default -> MeshTls.OUTBOUND_ALPN;
    };
    // No pods yet: accept any identity of this mesh rather than any certificate the root signed for anyone.
    List<io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher> anyOfMesh = ids.isEmpty()
        ? List.of(MeshTls.uriPrefix("spiffe://" + snapshot.mesh().trustDomain() + "/"))
        : List.of();
    return ProtoBytes.deterministic(MeshTls.sidecarIstioMutual("", ids, alpn, anyOfMesh));
  }

  /** SIMPLE / MUTUAL with user certificates: SDS {@code file-cert:}/{@code file-root:} from the agent, or credentialName. */
  private UpstreamTlsContext userTls(ClientTLSSettings tls, String policy, List<TranslationError> errors) {
    CommonTlsContext.Builder common = CommonTlsContext.newBuilder();
    boolean credential = !tls.getCredentialName().isEmpty();
    if (tls.getMode() == ClientTLSSettings.TLSmode.MUTUAL) {
      if (credential) {
        common.addTlsCertificateSdsSecretConfigs(adsSecret("kubernetes://" + tls.getCredentialName()));
      } else if (!tls.getClientCertificate().isEmpty() && !tls.getPrivateKey().isEmpty()) {
        common.addTlsCertificateSdsSecretConfigs(
            MeshTls.sds("file-cert:" + tls.getClientCertificate() + "~" + tls.getPrivateKey()));
      } else {
        errors.add(new TranslationError(policy,
            "tls mode MUTUAL needs credentialName or clientCertificate and privateKey",
            "the client presents no certificate, so servers requiring one refuse the connection"));
      }
    }
    boolean skipVerify = tls.hasInsecureSkipVerify() && tls.getInsecureSkipVerify().getValue();
    if (!skipVerify) {
      CertificateValidationContext.Builder v = CertificateValidationContext.newBuilder();
      tls.getSubjectAltNamesList().forEach(san -> v.addMatchSubjectAltNames(StringMatcher.newBuilder().setExact(san)));
      if (credential) {
        common.setCombinedValidationContext(CommonTlsContext.CombinedCertificateValidationContext.newBuilder()
            .setDefaultValidationContext(v)
            .setValidationContextSdsSecretConfig(adsSecret("kubernetes://" + tls.getCredentialName() + "-cacert")));
      } else if (!tls.getCaCertificates().isEmpty()) {
        common.setCombinedValidationContext(CommonTlsContext.CombinedCertificateValidationContext.newBuilder()
            .setDefaultValidationContext(v)
            .setValidationContextSdsSecretConfig(MeshTls.sds("file-root:" + tls.getCaCertificates())));
      } else {
        v.setTrustedCa(DataSource.newBuilder().setFilename(SYSTEM_CA_BUNDLE));
        common.setValidationContext(v);
      }
    }
    UpstreamTlsContext.Builder u = UpstreamTlsContext.newBuilder().setCommonTlsContext(common);
    if (!tls.getSni().isEmpty()) {
      u.setSni(tls.getSni());
    }
    return u.build();
  }

  /** Gateway-style credentials are served over ADS by the control plane (Istio: istiod's SDS for credentialName). */
  private static SdsSecretConfig adsSecret(String name) {
    return SdsSecretConfig.newBuilder().setName(name).setSdsConfig(EnvoyFilters.ads()).build();
  }

  static BoolValue yes() {
    return BoolValue.of(true);
  }
}
