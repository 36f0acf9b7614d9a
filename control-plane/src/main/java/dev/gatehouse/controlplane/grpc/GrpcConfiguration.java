package dev.gatehouse.controlplane.grpc;

import dev.gatehouse.ca.signer.CertificateSigner;
import dev.gatehouse.controlplane.ca.CaMaintenance;
import dev.gatehouse.controlplane.config.GatehouseProperties;
import dev.gatehouse.controlplane.config.ListeningAddresses;
import java.time.Clock;
import java.util.List;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Starts the gRPC servers once every {@link GrpcServiceRegistration} bean exists and the CA is initialized. */
@Configuration(proxyBeanMethods = false)
public class GrpcConfiguration {

  @Bean(initMethod = "start", destroyMethod = "close")
  GrpcServers grpcServers(List<GrpcServiceRegistration> registrations, GatehouseProperties gatehouse,
      ServingKeyManager keyManager, CertificateSigner signer, ListeningAddresses addresses, CaMaintenance caReadyFirst) {
    GatehouseProperties.Grpc grpc = gatehouse.grpc();
    return new GrpcServers(registrations,
        new GrpcServers.Endpoints(grpc.address(), grpc.securePort(), grpc.plaintextAddress(),
            grpc.plaintextEnabled() ? grpc.plaintextPort() : GrpcServers.Endpoints.DISABLED),
        keyManager, new TrustBundleTrustManager(signer::trustBundle, Clock.systemUTC()), addresses::register);
  }
}
