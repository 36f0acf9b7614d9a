package dev.gatehouse.xds.authz;

import io.envoyproxy.envoy.config.core.v3.CidrRange;
import com.google.protobuf.UInt32Value;
import java.util.regex.Pattern;

/**
 * Parses an Istio IP or CIDR value ("10.1.2.3", "10.1.0.0/16", "2001:db8::/32") into an Envoy CidrRange. A bare
 * address is a /32 or /128 (Istio AddrStrToCidrRange). Never resolves names: only literals are accepted.
 */
final class CidrBlock {
  private static final Pattern IPV4 =
      Pattern.compile("((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");
  private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:.]+");

  private CidrBlock() {}

  static CidrRange parse(String value) throws Untranslatable {
    String address = value;
    int length;
    int slash = value.indexOf('/');
    boolean v6 = value.indexOf(':') >= 0;
    int max = v6 ? 128 : 32;
    if (slash >= 0) {
      address = value.substring(0, slash);
      try {
        length = Integer.parseInt(value.substring(slash + 1));
      } catch (NumberFormatException e) {
        throw new Untranslatable("invalid CIDR \"" + value + "\"");
      }
      if (length < 0 || length > max) {
        throw new Untranslatable("invalid CIDR \"" + value + "\": prefix length out of range");
      }
    } else {
      length = max;
    }
    if (v6 ? !validIpv6(address) : !IPV4.matcher(address).matches()) {
      throw new Untranslatable("invalid IP address \"" + value + "\"");
    }
    return CidrRange.newBuilder().setAddressPrefix(address).setPrefixLen(UInt32Value.of(length)).build();
  }

  private static boolean validIpv6(String address) {
    if (!IPV6.matcher(address).matches()) {
      return false;
    }
    try {
      // A literal containing ':' is parsed, never looked up.
      return java.net.InetAddress.getByName(address) != null;
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }
}
