package dev.gatehouse.controlplane.xds;

import dev.gatehouse.ca.auth.AuthenticatorChain;
import dev.gatehouse.ca.auth.CallerAuthenticator;
import dev.gatehouse.controlplane.grpc.GrpcServiceRegistration;
import dev.gatehouse.controlplane.health.XdsProxiesHealthIndicator;
import dev.gatehouse.controlplane.source.MeshConfigStream;
import dev.gatehouse.xds.ProxyConfigGenerator;
import dev.gatehouse.xds.SnapshotTranslator;
import dev.gatehouse.xds.authn.JwksResolver;
import dev.gatehouse.xds.server.XdsCallerAuthenticator;
import dev.gatehouse.xds.server.XdsPushCoordinator;
import dev.gatehouse.xds.server.XdsServer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Wires the ADS server: the translator (a {@link ProxyConfigGenerator} bean if one is declared, else the
 * {@link SnapshotTranslator} with the options of {@link XdsProperties} and the JWKS key sets fetched so far), the CA's
 * caller authenticators for the secure port, Istio's metrics, and one {@link GrpcServiceRegistration} per discovery
 * service, served on both gRPC ports as istiod does (15012 TLS with caller authentication, 15010 plaintext without).
 * The debounced snapshots of the {@link MeshConfigStream} reach the server through the {@link JwksRefresher}, which
 * also re-pushes when a fetched key set changes.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(XdsProperties.class)
public class XdsServerConfiguration {
  private static final Logger log = LoggerFactory.getLogger(XdsServerConfiguration.class);

  /** Fetches {@code jwksUri} key sets (inline mode) and holds the translation options in effect. */
  @Bean(destroyMethod = "close")
  public JwksRefresher jwksRefresher(XdsProperties properties) {
    return new JwksRefresher(MeshTranslationOptions.from(properties), MeshTranslationOptions.timings(properties.jwks()),
        JwksResolver.httpFetcher());
  }

  @Bean(destroyMethod = "close")
  public XdsServer xdsServer(
      XdsProperties properties,
      JwksRefresher jwks,
      ObjectProvider<ProxyConfigGenerator> generator,
      ObjectProvider<AuthenticatorChain> chain,
      ObjectProvider<CallerAuthenticator> authenticators,
      ObjectProvider<MeterRegistry> registry,
      ObjectProvider<MeshConfigStream> snapshots) {
    ProxyConfigGenerator translator = generator.getIfAvailable(() -> new SnapshotTranslator(jwks::options));
    XdsServer.Builder b = XdsServer.builder(translator)
        .nackBackoff(properties.nackBackoff())
        .pushThrottle(properties.pushThrottle() > 0 ? properties.pushThrottle() : XdsPushCoordinator.defaultPushThrottle())
        .responseBudget(properties.responseBudget().toBytes())
        .stallAfter(properties.stallAfter())
        .callerAuthenticator(callerAuthenticator(chain, authenticators));
    MeterRegistry meters = registry.getIfAvailable();
    if (meters != null) {
      b.events(new MicrometerXdsEvents(meters));
    }
    if (properties.initialConfigThreads() > 0) {
      b.initialConfigThreads(properties.initialConfigThreads());
    }
    XdsServer server = b.build();
    log.info("xDS server: push throttle {} threads, response budget {} bytes, streams stalled after {}, NACK back-off {}",
        properties.pushThrottle() > 0 ? properties.pushThrottle() : XdsPushCoordinator.defaultPushThrottle(),
        properties.responseBudget().toBytes(), properties.stallAfter(), properties.nackBackoff());
    if (meters != null) {
      registerGauges(server, meters);
    }
    // Debounced snapshots from the config source, through the JWKS refresher (which pushes again when a key set
    // changes); onSnapshot returns at once (the push has its own thread).
    jwks.pushTo(server::onSnapshot);
    snapshots.ifAvailable(stream -> stream.subscribe(jwks::onSnapshot));
    return server;
  }

  private static XdsCallerAuthenticator callerAuthenticator(
      ObjectProvider<AuthenticatorChain> chain, ObjectProvider<CallerAuthenticator> authenticators) {
    CallerAuthenticator ca = chain.getIfUnique();
    if (ca == null) {
      List<CallerAuthenticator> all = authenticators.orderedStream().toList();
      ca = all.isEmpty() ? null : new AuthenticatorChain(all);
    }
    if (ca == null) {
      log.info("xDS secure port: no CA authenticators declared; accepting client certificates with a SPIFFE ID only");
      return XdsCallerAuthenticator.spiffeCertificates();
    }
    return new CaXdsCallerAuthenticator(ca);
  }

  static void registerGauges(XdsServer server, MeterRegistry meters) {
    Gauge.builder("pilot_xds", server, XdsServer::connectedStreams)
        .description("Connected xDS streams").register(meters);
    for (String typeUrl : dev.gatehouse.xds.server.ProxyConfig.TYPES) {
      String type = MicrometerXdsEvents.shortType(typeUrl);
      Gauge.builder("gatehouse_xds_proxies_rejecting", server, s -> s.rejectingStreams(typeUrl)).tag("type", type)
          .description("Connected xDS streams whose last answer for the type is a NACK (stuck on an older config)")
          .register(meters);
    }
  }

  /** Readiness detail {@code xdsProxies}: connected streams and the proxies stuck on a NACK. */
  @Bean
  public XdsProxiesHealthIndicator xdsProxiesHealthIndicator(XdsServer server) {
    return new XdsProxiesHealthIndicator(server);
  }

  @Bean
  public GrpcServiceRegistration xdsAggregatedDiscoveryService(XdsServer server) {
    return new GrpcServiceRegistration(server.services().get(0), true);
  }

  @Bean
  public GrpcServiceRegistration xdsClusterDiscoveryService(XdsServer server) {
    return new GrpcServiceRegistration(server.services().get(1), true);
  }

  @Bean
  public GrpcServiceRegistration xdsEndpointDiscoveryService(XdsServer server) {
    return new GrpcServiceRegistration(server.services().get(2), true);
  }

  @Bean
  public GrpcServiceRegistration xdsListenerDiscoveryService(XdsServer server) {
    return new GrpcServiceRegistration(server.services().get(3), true);
  }

  @Bean
  public GrpcServiceRegistration xdsRouteDiscoveryService(XdsServer server) {
    return new GrpcServiceRegistration(server.services().get(4), true);
  }
}
