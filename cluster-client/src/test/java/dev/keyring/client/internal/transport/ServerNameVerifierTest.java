package dev.keyring.client.internal.transport;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.testing.TestPki;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ServerNameVerifierTest {
  private static X509Certificate memberCert;
  private static X509Certificate wildcardCert;

  @BeforeAll
  static void certificates() {
    KeyPair ca = TestPki.ecKeyPair();
    X509Certificate caCert = TestPki.selfSignedCa(ca, "Test CA");
    memberCert =
        TestPki.issue(
            caCert, ca.getPrivate(), TestPki.ecKeyPair(), "LNH-123456", "127.0.0.1", "localhost");
    wildcardCert =
        TestPki.issue(caCert, ca.getPrivate(), TestPki.ecKeyPair(), "hsm", "*.hsm.example.com");
  }

  @Test
  void configuredServerCn_matchesTheSubjectCn_whateverTheHost() {
    assertTrue(new ServerNameVerifier("LNH-123456").matches(memberCert, "10.9.9.9"));
    assertTrue(new ServerNameVerifier("lnh-123456").matches(memberCert, "10.9.9.9"), "case");
  }

  @Test
  void loopbackIp_matchesTheIpSubjectAltName() {
    assertTrue(new ServerNameVerifier("something-else").matches(memberCert, "127.0.0.1"));
    assertTrue(new ServerNameVerifier("127.0.0.1").matches(memberCert, "10.9.9.9"));
    assertTrue(new ServerNameVerifier("other").matches(memberCert, "localhost"));
  }

  @Test
  void neitherServerCnNorHost_named_isRefused() {
    assertFalse(new ServerNameVerifier("other-member").matches(memberCert, "10.0.0.5"));
    assertFalse(new ServerNameVerifier("127.0.0.2").matches(memberCert, "192.168.1.1"));
    assertFalse(new ServerNameVerifier("LNH-1234567").matches(memberCert, "example.com"));
  }

  @Test
  void wildcard_coversExactlyOneLabel() {
    ServerNameVerifier v = new ServerNameVerifier("nothing");
    assertTrue(v.matches(wildcardCert, "a.hsm.example.com"));
    assertFalse(v.matches(wildcardCert, "a.b.hsm.example.com"));
    assertFalse(v.matches(wildcardCert, "hsm.example.com"));
  }

  @Test
  void ipv6Literals_compareAsAddresses() {
    assertTrue(
        ServerNameVerifier.ipLiteral("::1")
            .equals(ServerNameVerifier.ipLiteral("0:0:0:0:0:0:0:1")));
    assertTrue(ServerNameVerifier.ipLiteral("localhost") == null, "a name is not looked up");
  }

  @Test
  void certificateForClientsOnly_isRefused_evenWithTheMemberNameAndHost() {
    KeyPair ca = TestPki.ecKeyPair();
    X509Certificate caCert = TestPki.selfSignedCa(ca, "Test CA");
    X509Certificate clientOnly =
        TestPki.issueForClients(caCert, ca.getPrivate(), TestPki.ecKeyPair(), "LNH-123456");
    assertFalse(new ServerNameVerifier("LNH-123456").matches(clientOnly, "127.0.0.1"));
  }

  @Test
  void memberName_fromTheView_isCheckedPerMember() {
    // one verifier per member: a certificate naming member A is not accepted for member B
    assertTrue(new ServerNameVerifier("LNH-123456").matches(memberCert, "10.0.0.7"));
    assertFalse(new ServerNameVerifier("LNH-654321").matches(memberCert, "10.0.0.7"));
  }
}
