package dev.gatehouse.xds.authz;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
import io.envoyproxy.envoy.config.rbac.v3.Permission;
import io.envoyproxy.envoy.extensions.path.match.uri_template.v3.UriTemplateMatchConfig;
import io.envoyproxy.envoy.type.matcher.v3.PathMatcher;
import java.util.regex.Pattern;

/**
 * {@code paths}: url_path (path without query, after normalization) with Istio's wildcard rules; a path with
 * {@code {*}} (one segment) or {@code {**}} (the rest, last operator only) becomes a uri_template permission
 * (Istio CheckValidPathTemplate / PathTemplateMatcher). HTTP only; templates need Envoy.
 */
final class Paths implements PermissionAttribute.PerValue {
  static final Paths INSTANCE = new Paths();
  private static final String ONE = "{*}";
  private static final String ANY = "{**}";
  // RFC 3986 pchar, as Istio validLiteral.
  private static final Pattern LITERAL = Pattern.compile("[a-zA-Z0-9\\-._~%!$&'()+,;:@=]+");

  @Override
  public Permission permission(String key, String value, ChainTarget target) throws Unavailable, Untranslatable {
    boolean template = value.contains(ONE) || value.contains(ANY);
    checkTemplate(key, value, template);
    target.requireHttp(key);
    if (template) {
      target.requireEnvoy(key + " template " + value);
      String envoyTemplate = value.replace(ANY, "**").replace(ONE, "*");
      return Permission.newBuilder()
          .setUriTemplate(
              TypedExtensionConfig.newBuilder()
                  .setName("uri-template")
                  .setTypedConfig(
                      Any.pack(UriTemplateMatchConfig.newBuilder().setPathTemplate(envoyTemplate).build())))
          .build();
    }
    return Permission.newBuilder()
        .setUrlPath(PathMatcher.newBuilder().setPath(Matchers.string(value)))
        .build();
  }

  private static void checkTemplate(String key, String path, boolean template) throws Untranslatable {
    int start = 0;
    int end = path.length();
    while (start < end && path.charAt(start) == '/') {
      start++;
    }
    while (end > start && path.charAt(end - 1) == '/') {
      end--;
    }
    String trimmed = path.substring(start, end);
    boolean foundAny = false;
    for (String glob : trimmed.split("/", -1)) {
      if (glob.equals(ONE) && !foundAny) {
        continue;
      }
      if (glob.equals(ANY) && !foundAny) {
        foundAny = true;
        continue;
      }
      if (glob.equals(ANY) || glob.equals(ONE)) {
        throw new Untranslatable(key + ": invalid path " + path + ": {**} is not the last operator");
      }
      if (glob.indexOf('{') >= 0 || glob.indexOf('}') >= 0) {
        throw new Untranslatable(key + ": invalid path " + path + ": '{' or '}' beyond a supported path template");
      }
      if (template && !LITERAL.matcher(glob).matches()) {
        throw new Untranslatable(key + ": invalid path " + path + ": segment \"" + glob + "\" is not a valid literal");
      }
    }
  }
}
