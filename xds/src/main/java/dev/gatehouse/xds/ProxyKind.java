package dev.gatehouse.xds;

/** The two data planes Gatehouse configures. */
public enum ProxyKind {
  /** Envoy run by Istio's agent (istio-proxy); TLS via SDS secrets served by the agent. */
  SIDECAR,
  /** grpc-java (or another gRPC) xDS client/server; Istio marks these with node metadata GENERATOR=grpc. */
  PROXYLESS_GRPC
}
