package dev.keyring.sim.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyring.protocol.wire.WireJson;
import java.io.IOException;
import java.util.Map;

/**
 * One admin API call being handled: the exchange, who made it, and the path parameters. Bodies are
 * read with a mapper stricter than the wire mapper: besides unknown fields, trailing tokens and
 * duplicate keys, it refuses numbers and booleans where strings belong and fractions where integers
 * belong.
 */
final class AdminCall {
  static final ObjectMapper JSON = WireJson.mapper();

  final JsonExchange x;
  final ApplianceUsers.Principal principal;
  private final Map<String, String> params;

  AdminCall(JsonExchange x, ApplianceUsers.Principal principal, Map<String, String> params) {
    this.x = x;
    this.principal = principal;
    this.params = params;
  }

  String param(String name) {
    return params.get(name);
  }

  /** The body as {@code type}; an empty or {@code null} body is refused. */
  <T> T body(Class<T> type) throws IOException {
    byte[] b = x.body().bytes();
    if (b.length == 0) {
      throw ApiError.badRequest("this request needs a JSON body");
    }
    T value;
    try {
      value = JSON.readValue(b, type);
    } catch (JsonProcessingException e) {
      throw ApiError.badRequest(JsonExchange.describe(e));
    }
    if (value == null) {
      throw ApiError.badRequest("the JSON body is null; an object is expected");
    }
    return value;
  }

  /** Refuses any body. */
  void noBody() throws IOException {
    if (x.body().bytes().length != 0) {
      throw ApiError.badRequest("this request takes no body");
    }
  }

  /** Accepts no body or an empty JSON object; refuses anything else. */
  void noBodyOrEmptyObject() throws IOException {
    byte[] b = x.body().bytes();
    if (b.length == 0) {
      return;
    }
    try {
      if (JSON.readValue(b, AdminMessages.Empty.class) == null) {
        throw ApiError.badRequest("the JSON body is null; send nothing or {}");
      }
    } catch (JsonProcessingException e) {
      throw ApiError.badRequest(JsonExchange.describe(e) + " (this request takes no fields)");
    }
  }

  boolean is(ApplianceRole role) {
    return principal != null && principal.role().covers(role);
  }
}
