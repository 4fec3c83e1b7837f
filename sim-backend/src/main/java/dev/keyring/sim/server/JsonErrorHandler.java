package dev.keyring.sim.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.wire.ErrorResponse;
import dev.keyring.protocol.wire.WireJson;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Errors Jetty answers itself, before any handler runs (malformed or ambiguous URIs, oversized
 * headers, bad HTTP), in the API's JSON error form instead of an HTML page. The message is the
 * status text; it never repeats request data. A request body left unread is thrown away first,
 * within the API's bounds (see {@link BodyReader}), without holding a thread.
 *
 * <p>Jetty closes the connection after a request it cannot parse. It sends {@code Connection:
 * close} for most of them, but not for an unparsable request line (such as a NUL in the path),
 * which it answers as HTTP/1.0: a keep-alive client may then find its next request on that
 * connection failing. Over HTTP/2 such requests end the connection with GOAWAY.
 */
final class JsonErrorHandler extends ErrorHandler {
  private final BodyLimits limits;

  JsonErrorHandler(BodyLimits limits) {
    this.limits = limits;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    int status = response.getStatus();
    Object attr = request.getAttribute(ERROR_STATUS);
    if (attr instanceof Integer) {
      status = (Integer) attr;
    }
    if (status < 400) {
      status = 500;
    }
    byte[] body = body(status);
    int answer = status;
    BodyReader.drain(
        request,
        limits,
        "HTTP layer",
        drained -> {
          if (!drained) {
            response.getHeaders().put(HttpHeader.CONNECTION, "close");
          }
          response.setStatus(answer);
          response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
          response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
          response.write(true, ByteBuffer.wrap(body), callback);
        });
    return true;
  }

  private static byte[] body(int status) {
    ResultCode code = status >= 500 ? ResultCode.CKR_GENERAL_ERROR : ResultCode.CKR_ARGUMENTS_BAD;
    String message =
        status >= 500
            ? "internal error; see the member's log"
            : "the request was refused by the HTTP layer: " + status + " " + reason(status);
    try {
      return WireJson.mapper().writeValueAsBytes(ErrorResponse.of(code, message));
    } catch (JsonProcessingException e) {
      return ("{\"error\":{\"code\":\""
              + code.name()
              + "\",\"value\":"
              + code.value()
              + ",\"message\":\"error "
              + status
              + "\"}}")
          .getBytes(StandardCharsets.US_ASCII);
    }
  }

  private static String reason(int status) {
    String r = HttpStatus.getMessage(status);
    return r == null ? "" : r;
  }
}
