package dev.gatehouse.controlplane.ha;

import dev.gatehouse.controlplane.config.GatehouseProperties;
import dev.gatehouse.controlplane.config.SourceMode;
import dev.gatehouse.controlplane.config.SourceSelection;
import dev.gatehouse.controlplane.grpc.GrpcServers;
import dev.gatehouse.xds.server.XdsServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.util.UUID;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * Wires leader election: in Kubernetes mode a {@link LeaderLease} (joined as soon as the bean exists, released first
 * on shutdown), in file mode {@link Leadership#standalone}; its health component {@code leaderElection} ({@code /debug/leaderz} is
 * {@link LeaderDebugController}); and the graceful drain on shutdown ({@link ReplicaDrain}).
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties({LeaderElectionProperties.class, DrainProperties.class})
public class HaConfiguration {

  @Bean
  Leadership leadership(SourceSelection selection, GatehouseProperties gatehouse, LeaderElectionProperties properties,
      ObjectProvider<KubernetesClient> kubernetes, Environment environment) {
    String identity = identity(properties, environment);
    if (selection.mode() != SourceMode.KUBERNETES) {
      return Leadership.standalone(identity, Clock.systemUTC());
    }
    LeaderLease lease = new LeaderLease(kubernetes.getObject(), gatehouse.namespace(), properties, identity, Clock.systemUTC());
    lease.start();
    return lease;
  }

  /** The configured identity, else the pod name (the chart sets POD_NAME), else host name plus a random suffix. */
  static String identity(LeaderElectionProperties properties, Environment environment) {
    if (!properties.identity().isEmpty()) {
      return properties.identity();
    }
    String pod = environment.getProperty("POD_NAME");
    if (pod != null && !pod.isBlank()) {
      return pod.trim();
    }
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      host = "gatehouse";
    }
    return host + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  @Bean
  ReplicaDrain replicaDrain(GrpcServers grpc, XdsServer xds, DrainProperties properties,
      ApplicationEventPublisher events) {
    return new ReplicaDrain(grpc, xds, properties, events);
  }

  @Bean("leaderElection")
  LeadershipHealthIndicator leadershipHealthIndicator(Leadership leadership) {
    return new LeadershipHealthIndicator(leadership);
  }
}
