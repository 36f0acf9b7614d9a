package dev.gatehouse.it.ha;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Kubernetes API requests as the API server's authorizer sees them, and RBAC rules as a Role or ClusterRole states
 * them: enough of Kubernetes' request-info parsing and RBAC evaluation to tell whether a recorded call is allowed by
 * the chart's rules. Values; no I/O.
 */
final class ApiCalls {
  private ApiCalls() {}

  /**
   * One resource request: {@code group} "" is the core group; {@code namespace} is empty for cluster-scoped or
   * all-namespaces requests; {@code name} is the object name, or the {@code metadata.name} of a field selector on a
   * list/watch (Kubernetes authorizes those by resource name).
   */
  record Call(String verb, String group, String resource, String namespace, String name) {
    @Override
    public String toString() {
      return verb + " " + (group.isEmpty() ? "core" : group) + "/" + resource
          + (namespace.isEmpty() ? "" : " in " + namespace) + (name.isEmpty() ? "" : " named " + name);
    }
  }

  /** One RBAC rule (resource rules only; Gatehouse needs no non-resource URLs beyond discovery). */
  record Rule(List<String> apiGroups, List<String> resources, List<String> verbs, List<String> resourceNames) {
    boolean allows(Call c) {
      return matches(apiGroups, c.group()) && matches(resources, c.resource()) && matches(verbs, c.verb())
          && (resourceNames.isEmpty() || (!c.name().isEmpty() && resourceNames.contains(c.name())));
    }

    private static boolean matches(List<String> allowed, String value) {
      return allowed.contains("*") || allowed.contains(value);
    }
  }

  /**
   * The resource request a method and path make, as kube-apiserver's RequestInfoFactory parses them; empty for
   * non-resource paths (discovery: {@code /api}, {@code /apis/<group>/<version>}, {@code /version}), which every
   * authenticated user may read (the {@code system:discovery} role).
   */
  static Optional<Call> parse(String method, String pathAndQuery) {
    String path = pathAndQuery;
    String query = "";
    int q = pathAndQuery.indexOf('?');
    if (q >= 0) {
      path = pathAndQuery.substring(0, q);
      query = pathAndQuery.substring(q + 1);
    }
    List<String> parts = new ArrayList<>(List.of(path.replaceAll("^/+|/+$", "").split("/")));
    String group;
    if (parts.size() >= 2 && parts.get(0).equals("api")) {
      group = "";
      parts = parts.subList(2, parts.size());
    } else if (parts.size() >= 3 && parts.get(0).equals("apis")) {
      group = parts.get(1);
      parts = parts.subList(3, parts.size());
    } else {
      return Optional.empty();
    }
    if (parts.isEmpty()) {
      return Optional.empty();
    }
    String namespace = "";
    if (parts.get(0).equals("namespaces") && parts.size() >= 3) {
      namespace = parts.get(1);
      parts = parts.subList(2, parts.size());
    }
    String resource = parts.get(0);
    String name = parts.size() >= 2 ? parts.get(1) : "";
    if (parts.size() >= 3) {
      resource = resource + "/" + parts.get(2); // subresource, e.g. pods/status
    }
    Map<String, String> params = queryParams(query);
    String verb = switch (method.toUpperCase(Locale.ROOT)) {
      case "POST" -> "create";
      case "PUT" -> "update";
      case "PATCH" -> "patch";
      case "DELETE" -> name.isEmpty() ? "deletecollection" : "delete";
      case "GET", "HEAD" -> {
        if (!name.isEmpty()) {
          yield "get";
        }
        yield "true".equals(params.get("watch")) || "1".equals(params.get("watch")) ? "watch" : "list";
      }
      default -> method.toLowerCase(Locale.ROOT);
    };
    if (name.isEmpty() && (verb.equals("list") || verb.equals("watch"))) {
      String selector = params.getOrDefault("fieldSelector", "");
      for (String term : selector.split(",")) {
        if (term.startsWith("metadata.name=")) {
          name = term.substring("metadata.name=".length());
        } else if (term.startsWith("metadata.name==")) {
          name = term.substring("metadata.name==".length());
        }
      }
    }
    return Optional.of(new Call(verb, group, resource, namespace, name));
  }

  private static Map<String, String> queryParams(String query) {
    Map<String, String> out = new java.util.HashMap<>();
    if (query.isEmpty()) {
      return out;
    }
    for (String kv : query.split("&")) {
      int eq = kv.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? kv : kv.substring(0, eq), StandardCharsets.UTF_8);
      String v = eq < 0 ? "" : URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
      out.put(k, v);
    }
    return out;
  }

  /** The rules of a rendered Role or ClusterRole. */
  @SuppressWarnings("unchecked")
  static List<Rule> rules(Map<String, Object> role) {
    List<Rule> out = new ArrayList<>();
    for (Object o : (List<Object>) role.getOrDefault("rules", List.of())) {
      Map<String, Object> r = (Map<String, Object>) o;
      out.add(new Rule(strings(r.get("apiGroups")), strings(r.get("resources")), strings(r.get("verbs")),
          strings(r.get("resourceNames"))));
    }
    return out;
  }

  private static List<String> strings(Object o) {
    if (o == null) {
      return List.of();
    }
    return ((List<?>) o).stream().map(String::valueOf).toList();
  }
}
