package dev.keyring.sim.server;

import dev.keyring.protocol.ResultCode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The admin API's routing table: method, path pattern ({@code {name}} segments are parameters), the
 * least role allowed, and the action. A path that matches no pattern is 404; a path that matches
 * with another method is 405 with an {@code Allow} header.
 */
final class AdminRoutes {
  /** What a route does. */
  @FunctionalInterface
  interface Action {
    void run(AdminCall call) throws Exception;
  }

  /** One route; {@code role} null means no login (only the auth endpoints). */
  record Route(String method, String[] pattern, ApplianceRole role, Action action) {
    /** The route as written, with its parameters as {name}: never a value of a request. */
    String template() {
      return "/" + String.join("/", pattern);
    }
  }

  /** A matched route with its path parameters. */
  record Match(Route route, Map<String, String> params) {}

  private final List<Route> routes = new ArrayList<>();

  AdminRoutes add(String method, String pattern, ApplianceRole role, Action action) {
    routes.add(new Route(method, split(pattern), role, action));
    return this;
  }

  /** The route for this request, or a 404/405 {@link ApiError}. */
  Match match(String method, String path) {
    String[] segments = split(path);
    TreeSet<String> allowed = new TreeSet<>();
    for (Route r : routes) {
      Map<String, String> params = matches(r.pattern, segments);
      if (params == null) {
        continue;
      }
      if (r.method.equals(method)) {
        return new Match(r, params);
      }
      allowed.add(r.method);
    }
    if (allowed.isEmpty()) {
      throw ApiError.notFound("no such resource");
    }
    throw new ApiError(
        405,
        ResultCode.CKR_FUNCTION_REJECTED,
        "this method is not allowed on this resource; allowed: " + String.join(", ", allowed),
        Map.of("Allow", String.join(", ", allowed)));
  }

  private static Map<String, String> matches(String[] pattern, String[] segments) {
    if (pattern.length != segments.length) {
      return null;
    }
    Map<String, String> params = new HashMap<>();
    for (int i = 0; i < pattern.length; i++) {
      String p = pattern[i];
      if (p.startsWith("{") && p.endsWith("}")) {
        if (segments[i].isEmpty()) {
          return null;
        }
        params.put(p.substring(1, p.length() - 1), segments[i]);
      } else if (!p.equals(segments[i])) {
        return null;
      }
    }
    return params;
  }

  private static String[] split(String path) {
    String p = path.startsWith("/") ? path.substring(1) : path;
    return p.split("/", -1);
  }
}
