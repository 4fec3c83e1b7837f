package dev.keyring.sim.server;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.wire.CryptoMessages;
import dev.keyring.sim.Appliance;
import dev.keyring.store.ObjectRecord;

/**
 * The crypto API's resource of one object by its handle, on a logged-in session: {@code GET},
 * {@code PATCH} (CKA_LABEL, CKA_ID, CKA_TOKEN) and {@code DELETE
 * /v1/sessions/{id}/objects/{handle}}.
 */
final class ObjectEndpoints {
  private final Appliance appliance;

  ObjectEndpoints(Appliance appliance) {
    this.appliance = appliance;
  }

  /** Serves the object whose handle is {@code text} (a positive integer) on session {@code s}. */
  void handle(JsonExchange x, CryptoSessions.Entry s, String text) {
    long handle = handle(text);
    switch (x.method) {
      case "GET":
        x.noBody();
        x.ok(WireMapping.object(object(s, handle)));
        return;
      case "PATCH":
        {
          CryptoMessages.SetAttributes req = x.read(CryptoMessages.SetAttributes.class);
          x.ok(
              WireMapping.object(
                  s.requireLogin()
                      .setAttributes(
                          handle, WireMapping.attributes(req.attributes(), "attributes"))));
          return;
        }
      case "DELETE":
        x.noBody();
        s.requireLogin().destroyObject(handle);
        x.noContent();
        return;
      default:
        throw CryptoApi.wrongMethod(x, "GET", "PATCH", "DELETE");
    }
  }

  private static long handle(String text) {
    // ASCII digits only: Long.parseLong also takes a sign and the digits of other scripts
    if (!text.isEmpty() && text.chars().allMatch(c -> c >= '0' && c <= '9')) {
      try {
        long h = Long.parseLong(text);
        if (h > 0) {
          return h;
        }
      } catch (NumberFormatException e) {
        // too large: answered below
      }
    }
    throw new HsmException(
        ResultCode.CKR_OBJECT_HANDLE_INVALID, "object handle must be a positive integer");
  }

  private ObjectRecord object(CryptoSessions.Entry s, long handle) {
    s.requireLogin();
    return appliance
        .store()
        .object(s.keyringId, handle)
        .orElseThrow(
            () ->
                new HsmException(
                    ResultCode.CKR_OBJECT_HANDLE_INVALID,
                    "the session's keyring has no object with handle " + handle));
  }
}
