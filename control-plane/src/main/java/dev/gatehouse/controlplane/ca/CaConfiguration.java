package dev.gatehouse.controlplane.ca;

import dev.gatehouse.ca.auth.AuthenticatorChain;
import dev.gatehouse.ca.auth.CallerAuthenticator;
import dev.gatehouse.ca.auth.ClientCertificateAuthenticator;
import dev.gatehouse.ca.auth.ExistingServiceAccountAuthenticator;
import dev.gatehouse.ca.auth.JwtAuthenticator;
import dev.gatehouse.ca.auth.LocalTokenIssuer;
import dev.gatehouse.ca.auth.TokenReviewAuthenticator;
import dev.gatehouse.ca.crypto.CaCrypto;
import dev.gatehouse.ca.csr.CsrValidator;
import dev.gatehouse.ca.server.IstioCertificateServer;
import dev.gatehouse.ca.server.WorkloadCertificateAuthority;
import dev.gatehouse.ca.signer.CertificateSigner;
import dev.gatehouse.ca.signer.pluggedin.CaMaterialSource;
import dev.gatehouse.ca.signer.pluggedin.DirectoryCaMaterialSource;
import dev.gatehouse.ca.signer.pluggedin.PluggedInSigner;
import dev.gatehouse.ca.signer.selfsigned.CaSecretStore;
import dev.gatehouse.ca.signer.selfsigned.FileCaSecretStore;
import dev.gatehouse.ca.signer.selfsigned.SelfSignedSigner;
import dev.gatehouse.ca.spiffe.SpiffeId;
import dev.gatehouse.controlplane.config.GatehouseProperties;
import dev.gatehouse.controlplane.config.SourceMode;
import dev.gatehouse.controlplane.config.SourceSelection;
import dev.gatehouse.controlplane.grpc.GrpcServiceRegistration;
import dev.gatehouse.controlplane.grpc.ServingCertificate;
import dev.gatehouse.controlplane.grpc.ServingKeyManager;
import dev.gatehouse.controlplane.ha.Leadership;
import dev.gatehouse.controlplane.source.MeshConfigStream;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.DependsOn;

/**
 * Wires the workload CA: the signer chosen by {@code gatehouse.ca.mode} (auto: the plugged-in intermediate when
 * present, else the self-signed root kept in the {@code istio-ca-secret} Secret or, in file mode, the state directory), the authenticators (client certificate; then
 * local JWT validation; then TokenReview in Kubernetes mode), the CreateCertificate service on the secure gRPC port,
 * Istio's metrics, trust distribution and the maintenance timer.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(CaProperties.class)
public class CaConfiguration {
  private static final Logger log = LoggerFactory.getLogger(CaConfiguration.class);
  private static final Clock CLOCK = Clock.systemUTC();

  /**
   * The provider of the CSR verify and the certificate sign, chosen before any signer exists (a signer may sign its
   * root or intermediate as it starts). A fallback under {@code auto} is a warning, not an error: the CA is correct,
   * only slower.
   */
  @Bean
  CaCrypto caCrypto(CaProperties ca) {
    CaCrypto crypto = CaCrypto.use(ca.cryptoProvider());
    if (crypto.isNative() || ca.cryptoProvider() == CaCrypto.Preference.JDK) {
      log.info("workload CA crypto provider: {}", crypto.describe());
    } else {
      log.warn("workload CA crypto provider: {} (set gatehouse.ca.crypto-provider=jdk to choose it explicitly)", crypto.describe());
    }
    return crypto;
  }

  @Bean
  @DependsOn("caCrypto")
  CertificateSigner certificateSigner(GatehouseProperties gatehouse, CaProperties ca, SourceSelection selection,
      ObjectProvider<KubernetesClient> kubernetes) {
    return OverlapRootsLoader.wrap(baseSigner(gatehouse, ca, selection, kubernetes), ca.overlapRoots(), CLOCK);
  }

  private static CertificateSigner baseSigner(GatehouseProperties gatehouse, CaProperties ca, SourceSelection selection,
      ObjectProvider<KubernetesClient> kubernetes) {
    boolean kubernetesMode = selection.mode() == SourceMode.KUBERNETES;
    return switch (ca.mode()) {
      case AUTO -> {
        CaMaterialSource plugged = pluggedInSource(gatehouse, ca, kubernetesMode, kubernetes);
        yield plugged.isPresent() ? pluggedInSigner(ca, plugged) : selfSignedSigner(gatehouse, ca, kubernetesMode, kubernetes);
      }
      case SELF_SIGNED -> selfSignedSigner(gatehouse, ca, kubernetesMode, kubernetes);
      case PLUGGED -> {
        CaMaterialSource plugged = pluggedInSource(gatehouse, ca, kubernetesMode, kubernetes);
        if (!plugged.isPresent()) {
          log.warn("gatehouse.ca.mode=plugged but no plugged-in material in {}: the CA stays not ready until it appears",
              plugged.describe());
        }
        yield pluggedInSigner(ca, plugged);
      }
      case VAULT -> UpstreamSigners.vault(gatehouse, ca.vault(), CLOCK);
      case SPIRE -> UpstreamSigners.spire(gatehouse, ca.spire(), CLOCK);
    };
  }

  /** The mounted directory, or in Kubernetes mode the Secret when the directory holds no material. */
  private static CaMaterialSource pluggedInSource(GatehouseProperties gatehouse, CaProperties ca, boolean kubernetesMode,
      ObjectProvider<KubernetesClient> kubernetes) {
    CaMaterialSource directory = new DirectoryCaMaterialSource(ca.pluggedIn().dir());
    if (!directory.isPresent() && kubernetesMode) {
      return new SecretCaMaterialSource(kubernetes.getObject(), gatehouse.namespace(), ca.pluggedIn().secretName());
    }
    return directory;
  }

  private static CertificateSigner pluggedInSigner(CaProperties ca, CaMaterialSource plugged) {
    log.info("workload CA: plugged-in intermediate from {}", plugged.describe());
    return new PluggedInSigner(plugged, ca.pluggedIn().multipleRoots(), CLOCK);
  }

  private static CertificateSigner selfSignedSigner(GatehouseProperties gatehouse, CaProperties ca, boolean kubernetesMode,
      ObjectProvider<KubernetesClient> kubernetes) {
    CaSecretStore store = kubernetesMode
        ? new KubernetesCaSecretStore(kubernetes.getObject(), gatehouse.namespace(), ca.selfSigned().secretName())
        : new FileCaSecretStore(gatehouse.resolvedStateDir());
    log.info("workload CA: self-signed root in {}", store.describe());
    return new SelfSignedSigner(store, new SelfSignedSigner.Options(gatehouse.trustDomain(), ca.selfSigned().keyAlgorithm(),
        ca.selfSigned().rootTtl(), ca.selfSigned().rotationThreshold()), CLOCK);
  }

  /** The caller authenticators, in Istio's order; shared with the xDS server for stream identity. */
  @Bean
  AuthenticatorChain callerAuthenticators(GatehouseProperties gatehouse, CaProperties ca, SourceSelection selection,
      CertificateSigner signer, ObjectProvider<KubernetesClient> kubernetes, MeshConfigStream meshConfig) {
    List<CallerAuthenticator> chain = new ArrayList<>();
    chain.add(new ClientCertificateAuthenticator(signer::trustBundle, gatehouse.trustDomain(), CLOCK));
    if (selection.mode() == SourceMode.FILES) {
      LocalTokenIssuer issuer = localTokenIssuer(gatehouse);
      // No TokenReview in file mode: the configuration directory is what says which service accounts exist.
      MeshServiceAccounts serviceAccounts = new MeshServiceAccounts();
      meshConfig.subscribe(serviceAccounts);
      chain.add(new ExistingServiceAccountAuthenticator(new JwtAuthenticator(issuer::keySet, issuer.issuer(),
          ca.tokenAudiences(), gatehouse.trustDomain(), CLOCK, ca.jwt().clockSkew()), serviceAccounts));
    } else {
      if (ca.jwt().issuer() != null && !ca.jwt().issuer().isBlank() && ca.jwt().jwksFile() != null) {
        JwksFile keys = jwksFile(ca);
        chain.add(new JwtAuthenticator(keys, ca.jwt().issuer(), ca.tokenAudiences(), gatehouse.trustDomain(), CLOCK,
            ca.jwt().clockSkew()));
      }
      if (ca.tokenReview().enabled()) {
        chain.add(new TokenReviewAuthenticator(new KubernetesTokenReviewer(kubernetes.getObject()), ca.tokenAudiences(),
            gatehouse.trustDomain(), CLOCK, ca.tokenReview().cacheSize(), ca.tokenReview().maxCacheTtl()));
      }
    }
    log.info("workload CA authenticators: {}", chain.stream().map(CallerAuthenticator::name).toList());
    return new AuthenticatorChain(chain);
  }

  @Bean("workloadCa")
  CaHealthIndicator workloadCaHealthIndicator(CertificateSigner signer, CaCrypto crypto) {
    return new CaHealthIndicator(signer, crypto);
  }

  @Bean
  MicrometerCaMetrics caMetrics(MeterRegistry registry, CertificateSigner signer, CaCrypto crypto) {
    MicrometerCaMetrics metrics = new MicrometerCaMetrics(registry, signer, CLOCK);
    metrics.cryptoProvider(crypto);
    return metrics;
  }

  @Bean
  WorkloadCertificateAuthority workloadCertificateAuthority(AuthenticatorChain authenticators, CertificateSigner signer,
      CaProperties ca, MicrometerCaMetrics metrics, CaCrypto crypto) {
    return new WorkloadCertificateAuthority(authenticators, new CsrValidator(ca.sanPolicy(), crypto), signer,
        new WorkloadCertificateAuthority.Options(ca.defaultWorkloadCertTtl(), ca.maxWorkloadCertTtl()), metrics);
  }

  /** CreateCertificate on the secure port only. */
  @Bean
  GrpcServiceRegistration istioCertificateService(WorkloadCertificateAuthority authority) {
    return new GrpcServiceRegistration(new IstioCertificateServer(authority).bindService(), false);
  }

  @Bean
  ServingKeyManager servingKeyManager() {
    return new ServingKeyManager();
  }

  @Bean
  ServingCertificate servingCertificate(GatehouseProperties gatehouse, CaProperties ca, CertificateSigner signer,
      ServingKeyManager keyManager) {
    SpiffeId identity = SpiffeId.of(gatehouse.trustDomain(), gatehouse.namespace(), ca.servingCertificate().serviceAccount());
    return new ServingCertificate(signer, identity, servingDnsNames(gatehouse, ca), ca.servingCertificate().ttl(), CLOCK,
        keyManager);
  }

  static List<String> servingDnsNames(GatehouseProperties gatehouse, CaProperties ca) {
    if (!ca.servingCertificate().dnsNames().isEmpty()) {
      return ca.servingCertificate().dnsNames();
    }
    Set<String> names = new LinkedHashSet<>();
    for (String service : List.of("gatehouse." + gatehouse.namespace(), "istiod.istio-system")) {
      names.add(service + ".svc");
      names.add(service + ".svc." + gatehouse.clusterDomain());
    }
    names.add("localhost");
    return List.copyOf(names);
  }

  @Bean(destroyMethod = "close")
  TrustDistribution trustDistribution(GatehouseProperties gatehouse, SourceSelection selection, CaProperties ca,
      CertificateSigner signer, ObjectProvider<KubernetesClient> kubernetes, Leadership leadership) {
    if (selection.mode() == SourceMode.KUBERNETES) {
      return TrustDistribution.toConfigMaps(signer, new TrustBundleConfigMapPublisher(kubernetes.getObject(),
          ca.rootCertConfigMap(), signer::trustBundle, leadership::holdsLease));
    }
    return TrustDistribution.toFile(signer, new TrustBundleFilePublisher(gatehouse.resolvedStateDir()));
  }

  @Bean(initMethod = "start", destroyMethod = "close")
  CaMaintenance caMaintenance(CaProperties ca, CertificateSigner signer, ServingCertificate servingCertificate,
      TrustDistribution trustDistribution, Leadership leadership) {
    signer.onTrustBundleChange(bundle -> servingCertificate.renewIfDue());
    return new CaMaintenance(signer, servingCertificate, trustDistribution, leadership,
        ca.selfSigned().checkInterval(), ca.pluggedIn().checkInterval());
  }

  private static LocalTokenIssuer localTokenIssuer(GatehouseProperties gatehouse) {
    try {
      return LocalTokenIssuer.loadOrCreate(gatehouse.resolvedStateDir().resolve(TokenCommand.KEY_FILE), LocalTokenIssuer.DEFAULT_ISSUER);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static JwksFile jwksFile(CaProperties ca) {
    try {
      return new JwksFile(ca.jwt().jwksFile(), CLOCK, java.time.Duration.ofSeconds(30));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read gatehouse.ca.jwt.jwks-file " + ca.jwt().jwksFile(), e);
    }
  }
}
