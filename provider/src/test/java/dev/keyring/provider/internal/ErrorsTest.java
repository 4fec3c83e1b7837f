package dev.keyring.provider.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.keyring.client.api.TransportException;
import dev.keyring.client.api.TransportException.Kind;
import java.security.SignatureException;
import org.junit.jupiter.api.Test;

/** What a JCA caller reads when a call did not reach its end. */
class ErrorsTest {
  private static String said(Kind kind) {
    TransportException e = new TransportException(kind, "member m1: sign " + kind);
    SignatureException s = Errors.signature(null, "signing", e);
    assertSame(e, s.getCause());
    return s.getMessage();
  }

  @Test
  void aClusterOutOfReach_isSaidSo_withItsKind() {
    assertEquals(
        "signing failed: the cluster could not be reached (CONNECT): member m1: sign CONNECT",
        said(Kind.CONNECT));
    assertEquals(
        "signing failed: the cluster could not be reached (IO): member m1: sign IO", said(Kind.IO));
  }

  @Test
  void aFailureOnTheCallersSide_isNotCalledAClusterOutOfReach() {
    assertEquals(
        "signing failed: the calling thread was interrupted (INTERRUPTED): member m1: sign"
            + " INTERRUPTED",
        said(Kind.INTERRUPTED));
    assertEquals(
        "signing failed: this client had as many calls under way to the member as it allows"
            + " (BUSY): member m1: sign BUSY",
        said(Kind.BUSY));
  }
}
