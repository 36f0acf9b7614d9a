package dev.gatehouse.controlplane.ca;

import dev.gatehouse.ca.signer.CertificateSigner;
import dev.gatehouse.ca.signer.spire.SpireServerAuthority;
import dev.gatehouse.ca.signer.spire.SpireSettings;
import dev.gatehouse.ca.signer.upstream.UpstreamAuthority;
import dev.gatehouse.ca.signer.upstream.UpstreamIntermediateSigner;
import dev.gatehouse.ca.signer.upstream.UpstreamLeafSigner;
import dev.gatehouse.ca.signer.vault.VaultPkiAuthority;
import dev.gatehouse.ca.signer.vault.VaultSettings;
import dev.gatehouse.ca.x509.CaKeys;
import dev.gatehouse.controlplane.config.GatehouseProperties;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns {@code gatehouse.ca.vault.*} / {@code gatehouse.ca.spire.*} into an upstream signer, refusing to start on
 * settings that cannot work (no Vault address, an unknown auth method) with the property to fix.
 */
final class UpstreamSigners {
  private static final Logger log = LoggerFactory.getLogger(UpstreamSigners.class);

  private UpstreamSigners() {}

  static CertificateSigner vault(GatehouseProperties gatehouse, CaProperties.Vault vault, Clock clock) {
    if (vault.address() == null) {
      throw new IllegalStateException("gatehouse.ca.mode=vault needs gatehouse.ca.vault.address (e.g. https://vault.vault.svc:8200)");
    }
    VaultSettings settings = new VaultSettings(vault.address(), vault.namespace(), vault.pkiMount(), vault.role(),
        vault.intermediatePath(), vault.caBundleFile(), vault.connectTimeout(), vault.readTimeout(), vault.maxAttempts(),
        vault.backoff(), vault.deadline(), vaultAuth(vault.auth()), vault.auth().renewBefore());
    VaultPkiAuthority authority = new VaultPkiAuthority(settings, Clock.systemUTC());
    log.info("workload CA: {} in {} mode, {}", authority.describe(), vault.issuance().name().toLowerCase(Locale.ROOT),
        settings.auth().describe());
    return upstreamSigner(gatehouse, authority, vault.issuance(), vault.intermediateTtl(), vault.renewAt(),
        vault.bundleRefreshInterval(), vault.retryInterval(), clock);
  }

  static CertificateSigner spire(GatehouseProperties gatehouse, CaProperties.Spire spire, Clock clock) {
    SpireSettings settings;
    if (spire.issuance() == CaProperties.Issuance.INTERMEDIATE) {
      if (spire.serverAddress() == null || spire.serverAddress().isBlank() || spire.downstreamSvidDir() == null) {
        throw new IllegalStateException("gatehouse.ca.spire.issuance=intermediate needs gatehouse.ca.spire.server-address"
            + " (the SPIRE Server's TCP API, host:port) and gatehouse.ca.spire.downstream-svid-dir (the downstream"
            + " X509-SVID that spiffe-helper writes): NewDownstreamX509CA is not served to local callers");
      }
      settings = SpireSettings.downstream(gatehouse.trustDomain(), spire.serverAddress(), spire.downstreamSvidDir(),
          spire.serverId(), spire.timeout());
    } else {
      settings = SpireSettings.local(gatehouse.trustDomain(), spire.socket(), spire.timeout());
    }
    SpireServerAuthority authority = new SpireServerAuthority(settings);
    try {
      // A server for another trust domain is a configuration error: refuse to start rather than stay not ready.
      authority.checkTrustDomain();
    } catch (IllegalStateException e) {
      authority.close();
      throw e;
    }
    log.info("workload CA: {} in {} mode", authority.describe(), spire.issuance().name().toLowerCase(Locale.ROOT));
    return upstreamSigner(gatehouse, authority, spire.issuance(), spire.intermediateTtl(), spire.renewAt(),
        spire.bundleRefreshInterval(), spire.retryInterval(), clock);
  }

  static CertificateSigner upstreamSigner(GatehouseProperties gatehouse, UpstreamAuthority authority,
      CaProperties.Issuance issuance, Duration intermediateTtl, double renewAt, Duration bundleRefresh, Duration retry,
      Clock clock) {
    return switch (issuance) {
      case LEAF -> new UpstreamLeafSigner(authority, new UpstreamLeafSigner.Options(bundleRefresh, retry), clock);
      case INTERMEDIATE -> new UpstreamIntermediateSigner(authority, new UpstreamIntermediateSigner.Options(
          gatehouse.trustDomain(), intermediateTtl, renewAt, CaKeys.Algorithm.EC_P256, bundleRefresh, retry), clock);
    };
  }

  static VaultSettings.Auth vaultAuth(CaProperties.VaultAuth auth) {
    return switch (auth.method().toLowerCase(Locale.ROOT)) {
      case "kubernetes" -> new VaultSettings.KubernetesAuth(auth.kubernetes().mount(), auth.kubernetes().role(),
          auth.kubernetes().tokenFile());
      case "approle" -> {
        if (auth.approle().roleId() == null || auth.approle().roleId().isBlank()) {
          throw new IllegalStateException("gatehouse.ca.vault.auth.method=approle needs gatehouse.ca.vault.auth.approle.role-id");
        }
        yield new VaultSettings.AppRoleAuth(auth.approle().mount(), auth.approle().roleId(), auth.approle().secretIdFile());
      }
      case "token" -> {
        if (auth.tokenFile() == null) {
          throw new IllegalStateException("gatehouse.ca.vault.auth.method=token needs gatehouse.ca.vault.auth.token-file");
        }
        yield new VaultSettings.TokenAuth(auth.tokenFile(), null);
      }
      default -> throw new IllegalStateException("gatehouse.ca.vault.auth.method must be kubernetes, approle or token, not "
          + auth.method());
    };
  }
}
