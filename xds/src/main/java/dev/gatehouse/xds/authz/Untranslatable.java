package dev.gatehouse.xds.authz;

/**
 * A value or key that no Envoy config can express (bad CIDR, port out of range, unknown {@code when} key, malformed
 * path template). The whole policy then fails closed: an ALLOW matches nothing, a DENY denies everything.
 */
final class Untranslatable extends Exception {
  Untranslatable(String message) {
    super(message, null, false, false);
  }
}
