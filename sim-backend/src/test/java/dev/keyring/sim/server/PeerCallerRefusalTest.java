package dev.keyring.sim.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.sim.server.CryptoApiClient.Answer;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A member-to-member call from a certificate that is not a member's (a registered client's, over
 * the crypto API's mutual TLS) is refused, and the refusal says which certificate came, and which
 * member checked it against which membership: what tells a refused join from a member that lags
 * behind.
 */
class PeerCallerRefusalTest {
  @TempDir Path dir;

  @Test
  void aClientsCertificate_isRefusedPeerCalls_namingItsFingerprintAndTheMembership()
      throws Exception {
    try (Member member = AdminTestSupport.start(dir)) {
      CryptoApiClient client = new CryptoApiClient(member, "peer-refusal");
      String fp =
          HexFormat.of()
              .formatHex(
                  MessageDigest.getInstance("SHA-256").digest(client.certificate.getEncoded()));
      Answer snapshot = client.send("GET", "/peer/snapshot", null);
      Answer submit = client.send("POST", "/peer/submit", Map.of("memberId", "x"));
      for (Answer a : new Answer[] {snapshot, submit}) {
        assertEquals(403, a.status(), a.body());
        assertEquals("CKR_FUNCTION_REJECTED", a.code(), a.body());
        assertTrue(
            a.body().contains("the call's certificate (SHA-256 " + fp.substring(0, 16) + "…)"),
            a.body());
        assertTrue(
            a.body()
                    .contains(
                        "is not in the membership of member "
                            + member.appliance().defaultMemberName())
                && a.body().contains("(the primary, log position ")
                && a.body().contains("; membership version ")
                && a.body().contains(", 1 member)"),
            a.body());
      }
      client.close();
    }
  }
}
