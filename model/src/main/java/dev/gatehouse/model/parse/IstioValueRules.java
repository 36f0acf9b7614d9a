package dev.gatehouse.model.parse;

import dev.gatehouse.api.istio.type.v1beta1.PolicyTargetReference;
import dev.gatehouse.api.istio.type.v1beta1.WorkloadSelector;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The field checks Istio's validation webhook shares between the security kinds (istio/istio
 * pkg/config/security/security.go and pkg/config/validation/validation.go). Each returns the error messages it
 * found, in Istio's wording where Istio has one; an empty list means valid. Pure and thread-safe.
 */
public final class IstioValueRules {
  private IstioValueRules() {}

  private static final Pattern IPV4 =
      Pattern.compile("(0|[1-9][0-9]{0,2})\\.(0|[1-9][0-9]{0,2})\\.(0|[1-9][0-9]{0,2})\\.(0|[1-9][0-9]{0,2})");
  private static final Pattern IPV6_CHARS = Pattern.compile("[0-9A-Fa-f:.]+");
  private static final Pattern VALID_LITERAL = Pattern.compile("^[a-zA-Z0-9-._~%!$&'()+,;:@=]+$");
  private static final Pattern STRICT_HEADER_NAME = Pattern.compile("^[-_A-Za-z0-9]+$");

  /** Istio ValidateIPs: each value is an IP address or a CIDR range, IPv4 or IPv6. */
  public static List<String> validateIps(List<String> values) {
    List<String> errors = new ArrayList<>();
    for (String v : values) {
      if (v.contains("/")) {
        if (!isCidr(v)) {
          errors.add("bad CIDR range (" + v + ")");
        }
      } else if (!isIpAddress(v)) {
        errors.add("bad IP address (" + v + ")");
      }
    }
    return errors;
  }

  /** True for a literal IPv4 or IPv6 address (no host names: this never does a DNS lookup). */
  public static boolean isIpAddress(String v) {
    if (IPV4.matcher(v).matches()) {
      for (String octet : v.split("\\.")) {
        if (Integer.parseInt(octet) > 255) {
          return false;
        }
      }
      return true;
    }
    if (!v.contains(":") || !IPV6_CHARS.matcher(v).matches()) {
      return false;
    }
    try {
      // With a ':' present, InetAddress only parses the literal; it never resolves a name.
      InetAddress.getByName(v);
      return true;
    } catch (UnknownHostException | RuntimeException e) {
      return false;
    }
  }

  /** True for {@code <address>/<bits>} with bits in range for the address family (Go netip.ParsePrefix). */
  public static boolean isCidr(String v) {
    int slash = v.indexOf('/');
    if (slash < 0 || slash != v.lastIndexOf('/')) {
      return false;
    }
    String addr = v.substring(0, slash);
    String bits = v.substring(slash + 1);
    if (!isIpAddress(addr) || bits.isEmpty() || bits.length() > 3 || !bits.chars().allMatch(Character::isDigit)) {
      return false;
    }
    if (bits.length() > 1 && bits.charAt(0) == '0') {
      return false;
    }
    int max = addr.contains(":") ? 128 : 32;
    return Integer.parseInt(bits) <= max;
  }

  /** Istio ValidatePorts: each value is a decimal number in 0..65535. */
  public static List<String> validatePorts(List<String> values) {
    List<String> errors = new ArrayList<>();
    for (String v : values) {
      if (!isPort(v)) {
        errors.add("bad port (" + v + ")");
      }
    }
    return errors;
  }

  static boolean isPort(String v) {
    if (v.isEmpty() || v.length() > 10 || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return false;
    }
    return Long.parseLong(v) <= 65535;
  }

  /** Istio CheckEmptyValues. */
  public static List<String> checkEmptyValues(String field, List<String> values) {
    for (String v : values) {
      if (v.isEmpty()) {
        return List.of("empty value not allowed, found in " + field);
      }
    }
    return List.of();
  }

  /** Istio CheckWildcardValues: at most one '*', only at the start or the end. */
  public static List<String> checkWildcardValues(String field, List<String> values) {
    List<String> empty = checkEmptyValues(field, values);
    if (!empty.isEmpty()) {
      return empty;
    }
    for (String v : values) {
      long count = v.chars().filter(c -> c == '*').count();
      if (count > 1) {
        return List.of("at most one wildcard is allowed, found in " + field + ": \"" + v + "\"");
      }
      if (count == 1 && !v.equals("*") && !v.startsWith("*") && !v.endsWith("*")) {
        return List.of("wildcard is only allowed at the start or end, found in " + field + ": \"" + v + "\"");
      }
    }
    return List.of();
  }

  /** Istio CheckTrustDomainValues: wildcard rules, and no '/'. */
  public static List<String> checkTrustDomainValues(String field, List<String> values) {
    List<String> wildcard = checkWildcardValues(field, values);
    if (!wildcard.isEmpty()) {
      return wildcard;
    }
    for (String v : values) {
      if (v.contains("/")) {
        return List.of("trust domain must not contain '/', found in " + field + ": \"" + v + "\"");
      }
    }
    return List.of();
  }

  /** Istio CheckServiceAccount: 'serviceAccount' or 'namespace/serviceAccount', no wildcards, at most 16. */
  public static List<String> checkServiceAccount(String field, List<String> values) {
    if (values.size() > 16) {
      return List.of("may not have more than 16 values");
    }
    String format = "expected format 'serviceAccount' or 'namespace/serviceAccount'";
    for (String v : values) {
      if (v.isEmpty()) {
        return List.of("empty value not allowed, found in " + field);
      }
      if (v.contains("*")) {
        return List.of("wildcard not allowed, found in " + field);
      }
      long slashes = v.chars().filter(c -> c == '/').count();
      if (slashes > 1) {
        return List.of(format + ", found \"" + v + "\" in " + field);
      }
      if (v.length() > 320) {
        return List.of("value cannot exceed 320 characters, found \"" + v + "\" in " + field);
      }
      if (slashes == 1) {
        int slash = v.indexOf('/');
        if (slash == 0) {
          return List.of(format + ", found empty namespace \"" + v + "\" in " + field);
        }
        if (slash == v.length() - 1) {
          return List.of(format + ", found empty serviceAccount \"" + v + "\" in " + field);
        }
      }
    }
    return List.of();
  }

  /** Istio CheckValidPathTemplate: {@code {*}} and {@code {**}} only as whole segments, {@code {**}} last. */
  public static List<String> checkValidPathTemplate(String field, List<String> paths) {
    for (String original : paths) {
      boolean containsTemplate = original.contains("{*}") || original.contains("{**}");
      boolean foundMatchAny = false;
      String path = trimSlashes(original);
      for (String glob : path.split("/", -1)) {
        if (glob.equals("{*}") && !foundMatchAny) {
          continue;
        } else if (glob.equals("{**}") && !foundMatchAny) {
          foundMatchAny = true;
          continue;
        } else if ((glob.equals("{**}") || glob.equals("{*}")) && foundMatchAny) {
          return List.of(
              "invalid or unsupported path " + path + ", found in " + field + ". {**} is not the last operator");
        }
        if (glob.contains("{") || glob.contains("}")) {
          return List.of(
              "invalid or unsupported path " + path + ", found in " + field
                  + ". Contains '{' or '}' beyond a supported path template");
        }
        if (containsTemplate && !VALID_LITERAL.matcher(glob).matches()) {
          return List.of(
              "invalid or unsupported path " + path + ", found in " + field + ". Contains segment " + glob
                  + " with invalid string literal");
        }
      }
    }
    return List.of();
  }

  private static String trimSlashes(String s) {
    int start = 0;
    int end = s.length();
    while (start < end && s.charAt(start) == '/') {
      start++;
    }
    while (end > start && s.charAt(end - 1) == '/') {
      end--;
    }
    return s.substring(start, end);
  }

  /**
   * Istio ValidateAttribute: the {@code when} keys an AuthorizationPolicy may use, and the values each accepts.
   * Unknown keys are errors: Istio rejects them at admission, and a key we cannot evaluate must never be skipped.
   */
  public static List<String> validateAttribute(String key, List<String> values) {
    List<String> empty = checkEmptyValues(key, values);
    if (!empty.isEmpty()) {
      return empty;
    }
    if (key.startsWith("request.headers")
        || key.startsWith("request.auth.claims")
        || key.startsWith("experimental.envoy.filters.")) {
      return validateMapKey(key);
    }
    switch (key) {
      case "source.ip", "remote.ip", "destination.ip":
        return validateIps(values);
      case "source.serviceAccount":
        return checkServiceAccount(key, values);
      case "source.trustDomain":
        return checkWildcardValues(key, values);
      case "destination.port":
        return validatePorts(values);
      case "source.namespace",
          "source.principal",
          "request.auth.principal",
          "request.auth.audiences",
          "request.auth.presenter",
          "connection.sni":
        return List.of();
      case "destination.namespace":
        return List.of("attribute " + key + " is replaced by the metadata.namespace");
      case "destination.name", "destination.user":
        return List.of("deprecated attribute " + key + ": only supported in v1alpha1");
      default:
        if (key.startsWith("destination.labels")) {
          return List.of("attribute " + key + " is replaced by the workload selector");
        }
        return List.of("unknown attribute: " + key);
    }
  }

  private static List<String> validateMapKey(String key) {
    int open = key.indexOf('[');
    if (key.endsWith("]") && open > 0 && open < key.length() - 2) {
      return List.of();
    }
    return List.of("bad key (" + key + "): should have format a[b]");
  }

  /** Istio ParseJwksURI: only http and https are fetched. */
  public static List<String> validateJwksUri(String uri) {
    String scheme;
    try {
      URI parsed = new URI(uri);
      scheme = parsed.getScheme() == null ? "" : parsed.getScheme().toLowerCase(Locale.ROOT);
    } catch (URISyntaxException e) {
      return List.of("jwksUri is not a valid URI: " + e.getReason());
    }
    if (!scheme.equals("http") && !scheme.equals("https")) {
      return List.of("URI scheme \"" + scheme + "\" is not supported");
    }
    return List.of();
  }

  /** Istio ValidateStrictHTTPHeaderName. */
  public static List<String> validateStrictHeaderName(String name) {
    if (name.isEmpty()) {
      return List.of("header name cannot be empty");
    }
    if (!STRICT_HEADER_NAME.matcher(name).matches()) {
      return List.of("header name " + name + " is not a valid header name");
    }
    return List.of();
  }

  /**
   * Istio validateWorkloadSelector: no empty keys, no wildcards; and, from the CRD schema, label values of at most
   * 63 characters (longer values can never match a Kubernetes label).
   */
  public static List<String> validateWorkloadSelector(WorkloadSelector selector) {
    List<String> errors = new ArrayList<>();
    for (Map.Entry<String, String> e : selector.getMatchLabelsMap().entrySet()) {
      String pair = "\"" + e.getKey() + "=" + e.getValue() + "\"";
      if (e.getKey().isEmpty()) {
        errors.add("empty key is not supported in selector: " + pair);
      }
      if (e.getKey().contains("*") || e.getValue().contains("*")) {
        errors.add("wildcard is not supported in selector: " + pair);
      }
      if (e.getValue().length() > 63) {
        errors.add("selector value must be at most 63 characters: " + pair);
      }
    }
    return errors;
  }

  /** Istio CRD schema: at most 16 targetRefs. */
  public static List<String> validateTargetRefCount(int count) {
    return count > 16 ? List.of("targetRefs may not have more than 16 items") : List.of();
  }

  /** Istio validateOneOfSelectorType: a policy binds by selector or by target references, not both. */
  public static List<String> validateOneOfSelectorType(
      boolean hasSelector, boolean hasTargetRef, List<PolicyTargetReference> targetRefs) {
    int set = (hasSelector ? 1 : 0) + (hasTargetRef ? 1 : 0) + (targetRefs.isEmpty() ? 0 : 1);
    return set > 1 ? List.of("only one of targetRefs or workloadSelector can be set") : List.of();
  }

  private static final Set<String> ALLOWED_TARGET_REFS =
      Set.of(
          "core/Service",
          "networking.istio.io/ServiceEntry",
          "gateway.networking.k8s.io/Gateway",
          "gateway.networking.k8s.io/GatewayClass");

  /** Istio validatePolicyTargetReference: a named Service, ServiceEntry, Gateway or GatewayClass, same namespace. */
  public static List<String> validatePolicyTargetReference(PolicyTargetReference ref) {
    List<String> errors = new ArrayList<>();
    if (ref.getName().isEmpty()) {
      errors.add("targetRef name must be set");
    } else if (ref.getName().length() > 253) {
      errors.add("targetRef name must be at most 253 characters");
    }
    if (!ref.getNamespace().isEmpty()) {
      errors.add("targetRef namespace must not be set; cross namespace referencing is not supported");
    }
    String group = ref.getGroup().isEmpty() ? "core" : ref.getGroup();
    if (!ALLOWED_TARGET_REFS.contains(group + "/" + ref.getKind())) {
      errors.add(
          "targetRef must be to one of Service, ServiceEntry, Gateway, GatewayClass but was "
              + ref.getGroup() + "/" + ref.getKind());
    }
    return errors;
  }

  /** Go strconv.ParseBool, which Istio uses for the {@code istio.io/dry-run} annotation. */
  static boolean isGoBool(String v) {
    return Set.of("1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False").contains(v);
  }
}
