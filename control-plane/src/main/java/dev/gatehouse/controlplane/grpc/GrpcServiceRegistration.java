package dev.gatehouse.controlplane.grpc;

import io.grpc.ServerServiceDefinition;

/**
 * A gRPC service to serve on Gatehouse's gRPC ports. Every registration is served on the secure (TLS) port,
 * 15012 by default; {@code plaintextToo} also serves it on the plaintext port (15010), as istiod does for xDS.
 * The CA service is never served in plaintext. Declare these as Spring beans.
 */
public record GrpcServiceRegistration(ServerServiceDefinition service, boolean plaintextToo) {}
