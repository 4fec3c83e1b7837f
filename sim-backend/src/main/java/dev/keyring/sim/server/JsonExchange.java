package dev.keyring.sim.server;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidNullException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.keyring.protocol.FieldNames;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.wire.CryptoHeaders;
import dev.keyring.protocol.wire.ErrorResponse;
import dev.keyring.protocol.wire.WireJson;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * One JSON request and its answer. The body has been read beforehand (see {@link BodyReader}) and
 * is given with {@link #body(byte[])}; malformed or mistyped JSON is answered 400 with a message
 * that names the field and the problem but never repeats a value from the request (it could be a
 * password).
 */
final class JsonExchange {
  static final ObjectMapper JSON = WireJson.mapper();

  final Request request;
  final Response response;
  final Callback callback;
  final String method;
  final String path;
  private RequestBytes body = RequestBytes.EMPTY;

  JsonExchange(Request request, Response response, Callback callback) {
    this.request = request;
    this.response = response;
    this.callback = callback;
    this.method = request.getMethod();
    this.path = Request.getPathInContext(request);
    this.headers = null;
    this.sink = null;
  }

  /** Where the answer of an exchange that did not come over HTTP goes (the crypto channel). */
  interface Sink {
    /**
     * The answer: {@code status} as HTTP would have it, {@code body} the object that would be
     * written as JSON (an {@link ErrorResponse} for a refusal; null for 204), {@code position} the
     * log position a success reports (or null).
     */
    void answer(int status, Object body, String position);
  }

  private final java.util.function.Function<String, String> headers;
  private final Sink sink;

  /**
   * An exchange that came over the crypto channel: {@code headers} gives the request headers it
   * stands for (the consistency headers), and the answer goes to {@code sink}.
   */
  JsonExchange(
      String method, String path, java.util.function.Function<String, String> headers, Sink sink) {
    this.request = null;
    this.response = null;
    this.callback = null;
    this.method = method;
    this.path = path;
    this.headers = headers;
    this.sink = sink;
  }

  /** Thrown for a request the API cannot take at all (too large, not JSON, a wrong method). */
  static final class BadRequest extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int status;

    /** The methods the resource takes, for the {@code Allow} header of a 405; otherwise null. */
    final String allow;

    BadRequest(int status, String message) {
      this(status, message, null);
    }

    BadRequest(int status, String message, String allow) {
      super(message, null, false, false);
      this.status = status;
      this.allow = allow;
    }
  }

  private Supplier<String> position;

  /** Gives the body, read in full. */
  void body(RequestBytes b) {
    body = b;
  }

  /** The body (empty when there is none). */
  RequestBytes body() {
    return body;
  }

  /** The body as {@code type}; an empty body is refused. */
  <T> T read(Class<T> type) {
    if (body.length() == 0) {
      throw new BadRequest(400, "this request needs a JSON body");
    }
    try {
      T value = JSON.readValue(body.stream(), type);
      if (value == null) {
        throw new BadRequest(400, "the JSON body is null");
      }
      return value;
    } catch (JsonProcessingException e) {
      throw new BadRequest(400, describe(e));
    } catch (IOException e) {
      throw new UncheckedIOException(e); // not from bytes in memory
    }
  }

  /** Refuses a body where none belongs. */
  void noBody() {
    if (body.length() != 0) {
      throw new BadRequest(400, "this request takes no body");
    }
  }

  /** The value of request header {@code name}, or null. */
  String header(String name) {
    return sink != null ? headers.apply(name) : request.getHeaders().get(name);
  }

  /**
   * A successful answer carries {@link CryptoHeaders#LOG_POSITION} with the value {@code position}
   * gives when the answer is written (none when it gives null).
   */
  void reportPosition(Supplier<String> position) {
    this.position = position;
  }

  private void positionHeader(int status) {
    if (position != null && status >= 200 && status < 300) {
      String p = position.get();
      if (p != null) {
        response.getHeaders().put(CryptoHeaders.LOG_POSITION, p);
      }
    }
  }

  /** Sets header {@code name} of the answer (an answer that does not go over HTTP has none). */
  void answerHeader(String name, String value) {
    if (sink == null) {
      response.getHeaders().put(name, value);
    }
  }

  /** The connection closes after the answer (what the client sent was not all read). */
  void closeAfter() {
    if (sink == null) {
      response.getHeaders().put(HttpHeader.CONNECTION, "close");
    }
  }

  private String successPosition(int status) {
    return position != null && status >= 200 && status < 300 ? position.get() : null;
  }

  void reply(int status, Object body) {
    if (sink != null) {
      sink.answer(status, body, successPosition(status));
      return;
    }
    byte[] json;
    try {
      json = JSON.writeValueAsBytes(body);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write an answer", e);
    }
    response.setStatus(status);
    positionHeader(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
    response.write(true, ByteBuffer.wrap(json), callback);
  }

  /** A text answer (the metrics), not JSON. */
  void text(int status, String contentType, String body) {
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
    response.write(
        true, ByteBuffer.wrap(body.getBytes(java.nio.charset.StandardCharsets.UTF_8)), callback);
  }

  void ok(Object body) {
    reply(200, body);
  }

  /** Writes a streamed answer's body. */
  @FunctionalInterface
  interface BodyWriter {
    void write(OutputStream out) throws IOException;
  }

  /**
   * A 200 answer whose body {@code writer} writes as it goes (sent as it is written, never held
   * whole). A failure once writing began aborts the answer: the caller sees the body cut short.
   */
  void stream(String contentType, BodyWriter writer) {
    if (sink != null) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_NOT_SUPPORTED, "this answer is streamed over HTTP only");
    }
    response.setStatus(200);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
    OutputStream out = Content.Sink.asOutputStream(response);
    try {
      writer.write(out);
      out.close();
      callback.succeeded();
    } catch (IOException | RuntimeException e) {
      callback.failed(e);
    }
  }

  void noContent() {
    if (sink != null) {
      sink.answer(204, null, successPosition(204));
      return;
    }
    response.setStatus(204);
    positionHeader(204);
    response.write(true, null, callback);
  }

  void fail(HsmException e) {
    reply(ErrorResponse.httpStatus(e.code()), ErrorResponse.of(e));
  }

  void fail(int status, ResultCode code, String message) {
    reply(status, ErrorResponse.of(code, message));
  }

  /** Answers a refused body, closing the connection when the refusal says so. */
  void fail(BodyReader.Refusal r) {
    if (r.close()) {
      closeAfter();
    }
    fail(r.status(), r.code(), r.message());
  }

  static String describe(JsonProcessingException e) {
    String where = "";
    if (e instanceof JsonMappingException) {
      String path =
          ((JsonMappingException) e)
              .getPath().stream()
                  .map(
                      r ->
                          r.getFieldName() != null
                              ? shownName(r.getFieldName())
                              : "[" + r.getIndex() + "]")
                  .collect(Collectors.joining("."));
      where = path.isEmpty() ? "" : " at '" + path.replace(".[", "[") + "'";
    }
    if (e instanceof UnrecognizedPropertyException) {
      return "unknown field "
          + FieldNames.quoted(((UnrecognizedPropertyException) e).getPropertyName())
          + where;
    }
    if (e instanceof InvalidNullException) {
      return "a required value is missing or null" + where;
    }
    if (e instanceof MismatchedInputException) {
      MismatchedInputException m = (MismatchedInputException) e;
      String type = m.getTargetType() == null ? "value" : m.getTargetType().getSimpleName();
      return "wrong or missing value" + where + " (expected " + article(type) + ")";
    }
    if (e instanceof JsonMappingException) {
      return "the JSON does not fit this request" + where;
    }
    JsonLocation loc = e.getLocation();
    return "malformed JSON"
        + (loc == null ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr());
  }

  /** A field name of the request's JSON path as a message shows it (see {@link FieldNames}). */
  private static String shownName(String name) {
    String q = FieldNames.quoted(name);
    return q.startsWith("'") ? q.substring(1, q.length() - 1) : "?";
  }

  private static String article(String type) {
    switch (type) {
      case "byte[]":
        return "a Base64 string";
      case "int":
      case "Integer":
      case "long":
      case "Long":
        return "an integer";
      case "boolean":
      case "Boolean":
        return "a boolean";
      case "String":
        return "a string";
      case "LinkedHashMap":
      case "Map":
        return "an object";
      case "List":
      case "ArrayList":
        return "an array";
      default:
        return "an object";
    }
  }
}
