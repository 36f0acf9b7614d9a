package dev.gatehouse.xds.authz;

import io.envoyproxy.envoy.config.rbac.v3.Principal;

/** {@code ipBlocks} / {@code source.ip}: the directly connected peer's address (direct_remote_ip). */
final class SourceIpBlocks implements PrincipalAttribute.PerValue {
  static final SourceIpBlocks INSTANCE = new SourceIpBlocks();

  @Override
  public Principal principal(String key, String value, ChainTarget target) throws Untranslatable {
    return Principal.newBuilder().setDirectRemoteIp(CidrBlock.parse(value)).build();
  }
}
