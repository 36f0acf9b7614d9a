package dev.gatehouse.xds;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.Duration;
import io.envoyproxy.envoy.config.core.v3.ApiConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateProviderPluginInstance;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsParameters;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.util.List;

/**
 * The TLS contexts of the mesh, for both data planes. Envoy sidecars get their certificates over SDS from the Istio
 * agent ({@code default} and {@code ROOTCA} on cluster {@code sds-grpc}, pilot/pkg/security/model); proxyless gRPC
 * gets them from the certificate provider instance {@code default} that Istio's agent writes into the gRPC bootstrap.
 * Pure static functions.
 */
public final class MeshTls {
  public static final String SDS_CLUSTER = "sds-grpc";
  public static final String WORKLOAD_CERT = "default";
  public static final String ROOT_CERT = "ROOTCA";
  public static final String GRPC_PROVIDER_INSTANCE = "default";
  public static final String TLS_SOCKET = "envoy.transport_sockets.tls";

  /** Inbound ALPN for HTTP chains / TCP chains (pilot/pkg/security/authn/utils). */
  public static final List<String> INBOUND_HTTP_ALPN = List.of("h2", "http/1.1");
  public static final List<String> INBOUND_TCP_ALPN = List.of("istio-peer-exchange", "h2", "http/1.1");
  /** Outbound ISTIO_MUTUAL ALPN (ALPNInMeshWithMxc / ALPNInMeshH2WithMxc). */
  public static final List<String> OUTBOUND_ALPN = List.of("istio-peer-exchange", "istio");
  public static final List<String> OUTBOUND_H2_ALPN = List.of("istio-peer-exchange", "istio", "h2");
  /** What Istio's istio.alpn filter writes on HTTP/1.1 and HTTP/2 (gRPC) clusters, for the server's chain match. */
  public static final List<String> OUTBOUND_HTTP_ALPN = List.of("istio-http/1.1", "istio", "http/1.1");
  public static final List<String> OUTBOUND_H2_HTTP_ALPN = List.of("istio-h2", "istio", "h2");

  private MeshTls() {}

  // Immutable messages every TLS context repeats: built once.
  private static final ConfigSource SDS_SOURCE = buildSdsSource();
  private static final SdsSecretConfig SDS_WORKLOAD_CERT =
      SdsSecretConfig.newBuilder().setName(WORKLOAD_CERT).setSdsConfig(SDS_SOURCE).build();
  private static final SdsSecretConfig SDS_ROOT_CERT =
      SdsSecretConfig.newBuilder().setName(ROOT_CERT).setSdsConfig(SDS_SOURCE).build();
  private static final TransportSocket RAW_BUFFER = TransportSocket.newBuilder()
      .setName("envoy.transport_sockets.raw_buffer")
      .setTypedConfig(Any.pack(RawBuffer.getDefaultInstance()))
      .build();

  static ConfigSource sdsSource() {
    return SDS_SOURCE;
  }

  private static ConfigSource buildSdsSource() {
    return ConfigSource.newBuilder()
        .setApiConfigSource(ApiConfigSource.newBuilder()
            .setApiType(ApiConfigSource.ApiType.GRPC)
            .setTransportApiVersion(ApiVersion.V3)
            .setSetNodeOnFirstMessageOnly(true)
            .addGrpcServices(GrpcService.newBuilder()
                .setEnvoyGrpc(GrpcService.EnvoyGrpc.newBuilder().setClusterName(SDS_CLUSTER))))
        .setInitialFetchTimeout(Duration.getDefaultInstance())
        .setResourceApiVersion(ApiVersion.V3)
        .build();
  }

  static SdsSecretConfig sds(String name) {
    if (WORKLOAD_CERT.equals(name)) {
      return SDS_WORKLOAD_CERT;
    }
    if (ROOT_CERT.equals(name)) {
      return SDS_ROOT_CERT;
    }
    return SdsSecretConfig.newBuilder().setName(name).setSdsConfig(SDS_SOURCE).build();
  }

  static TlsParameters inboundParams(TranslationOptions options) {
    return TlsParameters.newBuilder()
        .setTlsMinimumProtocolVersion(TlsParameters.TlsProtocol.valueOf(options.minimumTlsVersion()))
        .setTlsMaximumProtocolVersion(TlsParameters.TlsProtocol.TLSv1_3)
        .addAllCipherSuites(options.cipherSuites())
        .build();
  }

  static SubjectAltNameMatcher uriPrefix(String prefix) {
    return SubjectAltNameMatcher.newBuilder()
        .setSanType(SubjectAltNameMatcher.SanType.URI)
        .setMatcher(StringMatcher.newBuilder().setPrefix(prefix))
        .build();
  }

  static SubjectAltNameMatcher uriExact(String value) {
    return SubjectAltNameMatcher.newBuilder()
        .setSanType(SubjectAltNameMatcher.SanType.URI)
        .setMatcher(StringMatcher.newBuilder().setExact(value))
        .build();
  }

  /**
   * Sidecar inbound mTLS: client certificate required, peer SAN must start with {@code spiffe://<td>/} for the trust
   * domain or one of its aliases.
   */
  public static DownstreamTlsContext sidecarInbound(
      List<String> trustDomains, List<String> alpn, TranslationOptions options) {
    CertificateValidationContext.Builder validation = CertificateValidationContext.newBuilder();
    for (String td : trustDomains) {
      validation.addMatchTypedSubjectAltNames(uriPrefix("spiffe://" + td + "/"));
    }
    return DownstreamTlsContext.newBuilder()
        .setCommonTlsContext(CommonTlsContext.newBuilder()
            .setTlsParams(inboundParams(options))
            .addAllAlpnProtocols(alpn)
            .addTlsCertificateSdsSecretConfigs(sds(WORKLOAD_CERT))
            .setCombinedValidationContext(CommonTlsContext.CombinedCertificateValidationContext.newBuilder()
                .setDefaultValidationContext(validation)
                .setValidationContextSdsSecretConfig(sds(ROOT_CERT))))
        .setRequireClientCertificate(BoolValue.of(true))
        .build();
  }

  /** Sidecar outbound ISTIO_MUTUAL (pilot/pkg/networking/core/cluster_tls.go). */
  public static UpstreamTlsContext sidecarIstioMutual(String sni, List<String> spiffeIds, boolean h2) {
    return sidecarIstioMutual(sni, spiffeIds, h2 ? OUTBOUND_H2_ALPN : OUTBOUND_ALPN, List.of());
  }

  /** The same with this ALPN list, and {@code moreSans} after the exact SAN matchers of {@code spiffeIds}. */
  static UpstreamTlsContext sidecarIstioMutual(
      String sni, List<String> spiffeIds, List<String> alpn, List<SubjectAltNameMatcher> moreSans) {
    CertificateValidationContext.Builder validation = CertificateValidationContext.newBuilder();
    spiffeIds.forEach(id -> validation.addMatchTypedSubjectAltNames(uriExact(id)));
    validation.addAllMatchTypedSubjectAltNames(moreSans);
    return UpstreamTlsContext.newBuilder()
        .setSni(sni)
        .setCommonTlsContext(CommonTlsContext.newBuilder()
            .setTlsParams(TlsParameters.newBuilder()
                .setTlsMinimumProtocolVersion(TlsParameters.TlsProtocol.TLSv1_2)
                .setTlsMaximumProtocolVersion(TlsParameters.TlsProtocol.TLSv1_3))
            .addAllAlpnProtocols(alpn)
            .addTlsCertificateSdsSecretConfigs(sds(WORKLOAD_CERT))
            .setCombinedValidationContext(CommonTlsContext.CombinedCertificateValidationContext.newBuilder()
                .setDefaultValidationContext(validation)
                .setValidationContextSdsSecretConfig(sds(ROOT_CERT))))
        .build();
  }

  static CertificateProviderPluginInstance grpcProvider(String certificateName) {
    return CertificateProviderPluginInstance.newBuilder()
        .setInstanceName(GRPC_PROVIDER_INSTANCE)
        .setCertificateName(certificateName)
        .build();
  }

  /**
   * Proxyless gRPC server mTLS. grpc-java selects the filter chain before any handshake and cannot verify SANs on
   * the server side, so the trust-domain check is left to RBAC (source.principal) here.
   */
  public static DownstreamTlsContext grpcServer() {
    return DownstreamTlsContext.newBuilder()
        .setCommonTlsContext(CommonTlsContext.newBuilder()
            .setTlsCertificateProviderInstance(grpcProvider(WORKLOAD_CERT))
            .setValidationContext(CertificateValidationContext.newBuilder()
                .setCaCertificateProviderInstance(grpcProvider(ROOT_CERT))))
        .setRequireClientCertificate(BoolValue.of(true))
        .build();
  }

  /** Proxyless gRPC client mTLS with exact SAN match on the destination's SPIFFE IDs. */
  public static UpstreamTlsContext grpcClient(List<String> spiffeIds) {
    CertificateValidationContext.Builder validation = CertificateValidationContext.newBuilder()
        .setCaCertificateProviderInstance(grpcProvider(ROOT_CERT));
    spiffeIds.forEach(id -> validation.addMatchSubjectAltNames(StringMatcher.newBuilder().setExact(id)));
    return UpstreamTlsContext.newBuilder()
        .setCommonTlsContext(CommonTlsContext.newBuilder()
            .setTlsCertificateProviderInstance(grpcProvider(WORKLOAD_CERT))
            .setValidationContext(validation))
        .build();
  }

  public static TransportSocket tls(com.google.protobuf.Message context) {
    return TransportSocket.newBuilder().setName(TLS_SOCKET).setTypedConfig(Any.pack(context)).build();
  }

  /** {@link #tls(com.google.protobuf.Message)} of a context already serialized ({@code type}'s bytes). */
  static TransportSocket tls(com.google.protobuf.Descriptors.Descriptor type, com.google.protobuf.ByteString context) {
    return TransportSocket.newBuilder()
        .setName(TLS_SOCKET)
        .setTypedConfig(ProtoBytes.any(type, context))
        .build();
  }

  public static TransportSocket rawBuffer() {
    return RAW_BUFFER;
  }
}
