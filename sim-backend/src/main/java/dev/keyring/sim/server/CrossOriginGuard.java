package dev.keyring.sim.server;

import dev.keyring.protocol.ResultCode;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Set;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;

/**
 * Refuses a request that changes something when a web browser says it comes from a page of another
 * origin (cross-site request forgery). The admin API challenges for HTTP Basic credentials, which a
 * browser keeps and sends with every later request to the member, whichever page makes it: a page
 * elsewhere (another port of the same host included) could otherwise post to it with an operator's
 * credentials. A browser names the page's origin in {@code Sec-Fetch-Site} and {@code Origin};
 * other clients ({@code curl}, {@code keyring-sim}, scripts) send neither and pass.
 *
 * <p>Reading methods pass: the browser keeps their answers from a page of another origin.
 */
final class CrossOriginGuard {
  private static final Set<String> READING = Set.of("GET", "HEAD", "OPTIONS");

  /** The most of a refused {@code Origin} that the refusal quotes. */
  private static final int QUOTED = 100;

  private CrossOriginGuard() {}

  /**
   * Refuses {@code request} (403, {@code CKR_FUNCTION_REJECTED}) when it changes something and a
   * browser sent it from another origin.
   */
  static void check(Request request) {
    if (READING.contains(request.getMethod())) {
      return;
    }
    String site = request.getHeaders().get("Sec-Fetch-Site");
    if (site != null) {
      String s = site.trim().toLowerCase(Locale.ROOT);
      if (s.equals("same-origin") || s.equals("none")) {
        return;
      }
      throw refused("Sec-Fetch-Site: " + quoted(site));
    }
    String origin = request.getHeaders().get(HttpHeader.ORIGIN);
    if (origin != null && !sameOrigin(origin, request)) {
      throw refused("Origin " + quoted(origin));
    }
  }

  /** Whether {@code origin} is the scheme, host and port the request was sent to. */
  static boolean sameOrigin(String origin, Request request) {
    URI u;
    try {
      u = new URI(origin.trim());
    } catch (URISyntaxException e) {
      return false; // "null" (a sandboxed page, a file) or garbage
    }
    String scheme = u.getScheme();
    String host = u.getHost();
    if (scheme == null || host == null || u.getRawPath() != null && !u.getRawPath().isEmpty()) {
      return false;
    }
    int port = u.getPort() >= 0 ? u.getPort() : defaultPort(scheme);
    return scheme.equalsIgnoreCase(request.getHttpURI().getScheme())
        && bare(host).equalsIgnoreCase(bare(Request.getServerName(request)))
        && port == Request.getServerPort(request);
  }

  private static int defaultPort(String scheme) {
    return scheme.equalsIgnoreCase("https") ? 443 : scheme.equalsIgnoreCase("http") ? 80 : -1;
  }

  /** An IPv6 literal without its brackets. */
  private static String bare(String host) {
    return host != null && host.startsWith("[") && host.endsWith("]")
        ? host.substring(1, host.length() - 1)
        : String.valueOf(host);
  }

  private static String quoted(String value) {
    String v = value.length() > QUOTED ? value.substring(0, QUOTED) + "…" : value;
    return "'" + v + "'";
  }

  private static ApiError refused(String what) {
    return new ApiError(
        403,
        ResultCode.CKR_FUNCTION_REJECTED,
        "a request from a web page of another origin ("
            + what
            + ") may not change anything here; send it from the admin API's own origin, or from a"
            + " client that is not a browser (curl, keyring-sim)");
  }
}
