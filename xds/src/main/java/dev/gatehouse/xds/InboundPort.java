package dev.gatehouse.xds;

import dev.gatehouse.model.MtlsMode;

/**
 * One port a workload receives traffic on, as the inbound listener sees it.
 *
 * @param port the container (target) port
 * @param protocol from the Service port that targets it; AUTO when no Service declares it
 * @param mode effective peer-authentication mode for this port (after port-level overrides and plaintext ports)
 * @param declared true when a Service targets this port (Istio builds a per-port chain); false for a port that only
 *     has a portLevelMtls entry or is a configured plaintext port
 */
public record InboundPort(int port, PortProtocol protocol, MtlsMode mode, boolean declared) {}
