package dev.keyring.sim.boundary;

import static dev.keyring.sim.boundary.PkiTestSupport.clientContext;
import static dev.keyring.sim.boundary.PkiTestSupport.csr;
import static dev.keyring.sim.boundary.PkiTestSupport.ec;
import static dev.keyring.sim.boundary.PkiTestSupport.handshake;
import static dev.keyring.sim.boundary.PkiTestSupport.validate;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.sim.boundary.PkiTestSupport.Member;
import dev.keyring.sim.boundary.PkiTestSupport.Outcome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The appliance identity, the cluster CA and the member certificate: what they look like, that they
 * survive a restart unchanged, that the CA key follows the SMK (a member sharing the SMK can use an
 * exported CA, another cannot), and that the member certificate follows the CA.
 */
class PkiIdentityTest {
  private static final String SERIAL = "1234567";

  @TempDir Path dir;

  @Test
  void applianceCertificate_isSelfSignedP256ForLoopback_validTenYearsFromYesterday()
      throws Exception {
    try (Member m = Member.create(dir)) {
      X509Certificate c = m.pki().applianceCertificate(SERIAL);
      assertEquals("CN=LNH-" + SERIAL, c.getSubjectX500Principal().getName());
      assertEquals(c.getSubjectX500Principal(), c.getIssuerX500Principal());
      c.verify(c.getPublicKey());
      assertEquals(
          256, ((ECPublicKey) c.getPublicKey()).getParams().getCurve().getField().getFieldSize());
      Collection<List<?>> sans = c.getSubjectAlternativeNames();
      assertTrue(sans.contains(List.of(7, "127.0.0.1")), sans::toString);
      assertTrue(sans.contains(List.of(2, "localhost")), sans::toString);
      Instant now = Instant.now();
      Instant notBefore = c.getNotBefore().toInstant();
      assertTrue(notBefore.isBefore(now.minus(Duration.ofHours(23))), "backdated a day");
      assertTrue(notBefore.isAfter(now.minus(Duration.ofHours(25))));
      Duration life = Duration.between(notBefore, c.getNotAfter().toInstant());
      assertTrue(life.toDays() >= 3650 && life.toDays() <= 3652, life::toString);
      assertEquals(-1, c.getBasicConstraints(), "not a CA");
      assertTrue(c.getExtendedKeyUsage().contains("1.3.6.1.5.5.7.3.1"), "serverAuth");
    }
  }

  @Test
  void applianceIdentity_isTheSameAfterReopen_andItsKeyStillServesTls() throws Exception {
    X509Certificate first;
    Member m = Member.create(dir);
    try {
      first = m.pki().applianceCertificate(SERIAL);
      assertEquals(first, m.pki().applianceCertificate(SERIAL), "stable while open");
    } finally {
      m.close();
    }
    try (Member again = m.reopen()) {
      X509Certificate second = again.pki().applianceCertificate(SERIAL);
      assertArrayEquals(first.getEncoded(), second.getEncoded());
      // the reopened key matches the certificate: a client that trusts only it gets through
      for (String protocol : List.of("TLSv1.3", "TLSv1.2")) {
        Outcome o =
            handshake(
                again.pki().adminServerContext(SERIAL),
                clientContext(null, null, first),
                protocol,
                false,
                "127.0.0.1");
        assertTrue(o.succeeded(), () -> "admin handshake failed: " + o);
        assertEquals(first, o.serverSeenByClient());
        assertNull(o.clientSeenByServer(), "the admin port asks for no client certificate");
      }
    }
  }

  @Test
  void applianceIdentity_needsNoSmkAndNoCluster() throws Exception {
    try (var store =
            dev.keyring.store.KeyringStore.open(
                dev.keyring.store.StoreConfig.h2File(dir.resolve("store")));
        Boundary b =
            Boundary.open(
                BoundaryConfig.builder().deviceKeyFile(dir.resolve("hsm/device.key")).build(),
                store)) {
      assertFalse(b.hasSmk());
      MemberPki pki = MemberPki.open(b, store);
      X509Certificate c = pki.applianceCertificate(SERIAL);
      assertEquals("CN=LNH-" + SERIAL, c.getSubjectX500Principal().getName());
      pki.adminServerContext(SERIAL);
    }
  }

  @Test
  void applianceIdentity_withAnotherSerial_isANewIdentity() throws Exception {
    try (Member m = Member.create(dir)) {
      X509Certificate a = m.pki().applianceCertificate(SERIAL);
      X509Certificate b = m.pki().applianceCertificate("7654321");
      assertEquals("CN=LNH-7654321", b.getSubjectX500Principal().getName());
      assertNotEquals(a.getPublicKey(), b.getPublicKey());
      var e = assertThrows(HsmException.class, () -> m.pki().applianceCertificate(" "));
      assertEquals(ResultCode.CKR_ARGUMENTS_BAD, e.code());
    }
  }

  @Test
  void clusterCa_isAP384CaForTenYears_andPersistsAcrossReopen() throws Exception {
    X509Certificate ca;
    Member m = Member.create(dir);
    try {
      assertFalse(m.pki().hasClusterCa());
      ca = m.pki().createClusterCa(m.clusterId, "prod east");
      assertTrue(m.pki().hasClusterCa());
      assertEquals(ca, m.pki().clusterCaCertificate());
      assertEquals(ca.getSubjectX500Principal(), ca.getIssuerX500Principal());
      ca.verify(ca.getPublicKey());
      assertTrue(ca.getBasicConstraints() >= 0, "a CA");
      boolean[] ku = ca.getKeyUsage();
      assertTrue(ku[5] && ku[6], "keyCertSign and cRLSign");
      assertEquals(
          384, ((ECPublicKey) ca.getPublicKey()).getParams().getCurve().getField().getFieldSize());
      assertTrue(ca.getSubjectX500Principal().getName().contains("prod east cluster CA"));
      assertTrue(ca.getSubjectX500Principal().getName().contains(m.clusterId.toString()));
      Duration life = Duration.between(ca.getNotBefore().toInstant(), ca.getNotAfter().toInstant());
      assertTrue(life.toDays() >= 3650 && life.toDays() <= 3652, life::toString);
      assertEquals(ca, m.pki().createClusterCa(m.clusterId, "prod east"), "idempotent");
    } finally {
      m.close();
    }
    try (Member again = m.reopen()) {
      assertArrayEquals(ca.getEncoded(), again.pki().clusterCaCertificate().getEncoded());
      // the reopened CA key still issues certificates that chain to the same CA
      KeyPair kp = ec("secp256r1");
      X509Certificate client =
          again.pki().issueClientCertificate(csr(kp, "CN=app"), "app", Duration.ofHours(1));
      validate(List.of(client), ca);
    }
  }

  @Test
  void clusterCa_needsTheSmk() throws Exception {
    try (var store =
            dev.keyring.store.KeyringStore.open(
                dev.keyring.store.StoreConfig.h2File(dir.resolve("store")));
        Boundary b =
            Boundary.open(
                BoundaryConfig.builder().deviceKeyFile(dir.resolve("hsm/device.key")).build(),
                store)) {
      MemberPki pki = MemberPki.open(b, store);
      var e = assertThrows(HsmException.class, () -> pki.createClusterCa(UUID.randomUUID(), "c"));
      assertEquals(ResultCode.CKR_FUNCTION_FAILED, e.code());
      assertTrue(e.getMessage().contains("no SMK"), e.getMessage());
      assertFalse(pki.hasClusterCa());
    }
  }

  @Test
  void clusterCaForAnotherCluster_replacesTheOldOne_andTheMemberCertificateFollows()
      throws Exception {
    try (Member m = Member.create(dir)) {
      X509Certificate oldCa = m.pki().createClusterCa(m.clusterId, "old");
      X509Certificate oldMember = m.pki().memberCertificate("m1");
      validate(List.of(oldMember), oldCa);
      assertEquals(oldMember, m.pki().memberCertificate("m1"), "kept while the CA is the same");

      X509Certificate newCa = m.pki().createClusterCa(UUID.randomUUID(), "new");
      assertNotEquals(oldCa, newCa);
      X509Certificate newMember = m.pki().memberCertificate("m1");
      assertNotEquals(oldMember, newMember, "re-issued under the new CA");
      validate(List.of(newMember), newCa);
      assertThrows(Exception.class, () -> validate(List.of(newMember), oldCa));
    }
  }

  @Test
  void memberCertificate_isIssuedByTheCaForTheMemberName_withServerAuthAndLoopbackNames()
      throws Exception {
    try (Member m = Member.create(dir)) {
      X509Certificate ca = m.pki().createClusterCa(m.clusterId, "c");
      X509Certificate c = m.pki().memberCertificate("member-a");
      assertEquals("CN=member-a", c.getSubjectX500Principal().getName());
      validate(List.of(c), ca);
      // serverAuth for its crypto API, clientAuth for its calls to other members
      assertEquals(List.of("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"), c.getExtendedKeyUsage());
      assertTrue(c.getSubjectAlternativeNames().contains(List.of(7, "127.0.0.1")));
      assertTrue(c.getSubjectAlternativeNames().contains(List.of(2, "localhost")));
      X509Certificate renamed = m.pki().memberCertificate("member-b");
      assertEquals("CN=member-b", renamed.getSubjectX500Principal().getName());
    }
  }

  @Test
  void memberCertificate_isKeptAcrossReopen() throws Exception {
    X509Certificate c;
    Member m = Member.create(dir);
    try {
      m.pki().createClusterCa(m.clusterId, "c");
      c = m.pki().memberCertificate("member-a");
    } finally {
      m.close();
    }
    try (Member again = m.reopen()) {
      assertArrayEquals(c.getEncoded(), again.pki().memberCertificate("member-a").getEncoded());
    }
  }

  @Test
  void exportedClusterCa_installsOnAMemberWithTheSameSmk_andIssuesUnderTheSameCa()
      throws Exception {
    try (Member first = Member.create(dir.resolve("first"))) {
      X509Certificate ca = first.pki().createClusterCa(first.clusterId, "c");
      byte[] exported = first.pki().exportClusterCa();

      // a joining member holding the same SMK (cloned: here, the same device key and wrapped SMK)
      Files.createDirectories(dir.resolve("joiner/hsm"));
      Files.copy(
          dir.resolve("first/hsm/device.key"),
          dir.resolve("joiner/hsm/device.key"),
          StandardCopyOption.REPLACE_EXISTING);
      try (var store =
              dev.keyring.store.KeyringStore.open(
                  dev.keyring.store.StoreConfig.h2File(dir.resolve("joiner/store")));
          Boundary joiner =
              Boundary.open(
                  BoundaryConfig.builder()
                      .deviceKeyFile(dir.resolve("joiner/hsm/device.key"))
                      .build(),
                  store)) {
        joiner.loadSmk(first.smk);
        MemberPki joinerPki = MemberPki.open(joiner, store);
        assertEquals(ca, joinerPki.installClusterCa(exported));
        assertEquals(ca, joinerPki.clusterCaCertificate());
        KeyPair kp = ec("secp384r1");
        X509Certificate client =
            joinerPki.issueClientCertificate(csr(kp, "CN=app"), "app", Duration.ofHours(1));
        validate(List.of(client), ca);
      }

      // a member of another cluster (another SMK) cannot use it, and keeps what it had
      try (Member stranger = Member.create(dir.resolve("stranger"))) {
        X509Certificate own = stranger.pki().createClusterCa(stranger.clusterId, "s");
        var e = assertThrows(HsmException.class, () -> stranger.pki().installClusterCa(exported));
        assertEquals(ResultCode.CKR_ENCRYPTED_DATA_INVALID, e.code());
        assertTrue(e.getMessage().contains("another SMK"), e.getMessage());
        assertEquals(own, stranger.pki().clusterCaCertificate());

        var garbage =
            assertThrows(
                HsmException.class, () -> stranger.pki().installClusterCa(new byte[] {1, 2, 3}));
        assertEquals(ResultCode.CKR_ARGUMENTS_BAD, garbage.code());
      }
    }
  }
}
