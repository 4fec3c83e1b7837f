package dev.keyring.testing.http;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Requests with bodies an HTTP/1.1 server must refuse as the client's fault: broken chunked
 * encodings, and bodies cut short by the end of the client's output (early EOF). Each is one
 * request's bytes, sent over a {@link RawHttp} connection; {@link Case#endOutput} says whether the
 * client then ends its output.
 */
public final class MalformedBodies {
  private MalformedBodies() {}

  /** One malformed request. */
  public record Case(String what, byte[] bytes, boolean endOutput) {}

  /** Every case, as {@code method path} with {@code headers} (besides framing). */
  public static List<Case> cases(String method, String path, Map<String, String> headers) {
    List<Case> out = new ArrayList<>();
    String body = "{\"data\":\"AAECAwQFBgcICQ==\",\"last\":false}";
    // broken chunked encodings, the connection left open
    chunked(out, method, path, headers, "chunk size not hex", "zz\r\n" + body + "\r\n0\r\n\r\n");
    chunked(out, method, path, headers, "chunk size overflows", "fffffffffffffffffff\r\nab\r\n");
    chunked(
        out,
        method,
        path,
        headers,
        "chunk data longer than its size",
        "4\r\n" + body + "\r\n0\r\n\r\n");
    chunked(out, method, path, headers, "no CRLF after a chunk", "2\r\n{}XX0\r\n\r\n");
    chunked(out, method, path, headers, "negative chunk size", "-5\r\nabcde\r\n0\r\n\r\n");
    chunked(out, method, path, headers, "chunk size with junk", "5 x y\r\nabcde\r\n0\r\n\r\n");
    chunked(out, method, path, headers, "NUL in the chunk header", "2\u0000\r\n{}\r\n0\r\n\r\n");
    // cut short: the client ends its output in the middle
    out.add(
        new Case(
            "early EOF in a chunk",
            bytes(head(method, path, headers, "Transfer-Encoding: chunked") + "40\r\n{\"da"),
            true));
    out.add(
        new Case(
            "early EOF before the last chunk",
            bytes(head(method, path, headers, "Transfer-Encoding: chunked") + "2\r\n{}\r\n"),
            true));
    out.add(
        new Case(
            "early EOF in a chunk size",
            bytes(head(method, path, headers, "Transfer-Encoding: chunked") + "1"),
            true));
    out.add(
        new Case(
            "early EOF with Content-Length",
            bytes(head(method, path, headers, "Content-Length: 1000") + body),
            true));
    out.add(
        new Case(
            "early EOF right after the headers",
            bytes(head(method, path, headers, "Content-Length: 100")),
            true));
    out.add(
        new Case(
            "early EOF in a large body",
            bytes(
                head(method, path, headers, "Content-Length: 4000000")
                    + "{\"data\":\""
                    + "A".repeat(200_000)),
            true));
    // chunked and cut short together
    out.add(
        new Case(
            "chunked body with no last chunk, then EOF",
            bytes(
                head(method, path, headers, "Transfer-Encoding: chunked")
                    + "2\r\n{}\r\n2\r\n{}\r\n"),
            true));
    return out;
  }

  private static void chunked(
      List<Case> out,
      String method,
      String path,
      Map<String, String> headers,
      String what,
      String chunks) {
    out.add(
        new Case(
            what,
            bytes(head(method, path, headers, "Transfer-Encoding: chunked") + chunks),
            false));
  }

  /** The request line and headers, ending with the blank line. */
  public static String head(
      String method, String path, Map<String, String> headers, String framing) {
    StringBuilder b = new StringBuilder();
    b.append(method).append(' ').append(path).append(" HTTP/1.1\r\n");
    b.append("Host: 127.0.0.1\r\n");
    b.append("Content-Type: application/json\r\n");
    headers.forEach((k, v) -> b.append(k).append(": ").append(v).append("\r\n"));
    b.append(framing).append("\r\n\r\n");
    return b.toString();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }
}
