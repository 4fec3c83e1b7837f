package dev.keyring.sim.server;

import static dev.keyring.sim.server.AdminTestSupport.ADMIN;
import static dev.keyring.sim.server.AdminTestSupport.ADMIN_PW;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyring.testing.admin.AdminRestClient;
import dev.keyring.testing.admin.Provisioning;
import dev.keyring.testing.packages.SignedPackages;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The appliance's software over REST, on one real member: the installed {@code cluster_service}
 * package in the package list and member information; package files refused when unsigned, signed
 * by another key, corrupt, of an unknown package, of a bad version or too large; the {@code
 * upgrade} firmware action, which sets {@code restartService} and installs the version at the next
 * start of the cluster service (not before); the lone member then needs the operator's {@code
 * authorize}, as the guide's single-member update procedure says; and {@code supportInfo.txt} with
 * its {@code cluster_service} line and no secret.
 */
class PackageUpdateApiTest {
  private static final String N = SignedPackages.FACTORY_VERSION;
  private static final String N1 = "104-00002";

  @TempDir Path dir;

  private Member member;
  private AdminRestClient rest;
  private String cluster;
  private String memberId;
  private String hsm;

  @BeforeEach
  void provision() throws Exception {
    member = AdminTestSupport.start(dir);
    rest = new AdminRestClient(member.adminPort(), member.adminCertificate());
    cluster = AdminTestSupport.provision(rest);
    memberId = Provisioning.localMemberId(rest, cluster);
    hsm = AdminTestSupport.hsmId(rest);
  }

  @org.junit.jupiter.api.AfterEach
  void close() throws Exception {
    member.close();
  }

  private AdminRestClient.Call call(String method, String path) {
    return rest.call(method, path).as(ADMIN, ADMIN_PW);
  }

  private AdminRestClient.Reply upload(byte[] file) {
    return call("POST", "/api/lunasa/packageFiles").raw(file, false).send();
  }

  private AdminRestClient.Reply upgrade() {
    return call("POST", "/api/lunasa/hsms/" + hsm + "/firmware/actions/upgrade").send();
  }

  private JsonNode packages() {
    return call("GET", "/api/lunasa/packages").send().expect(200).json().path("data");
  }

  private JsonNode self() {
    return call("GET", "/api/clusters/" + cluster + "/members/" + memberId)
        .send()
        .expect(200)
        .json();
  }

  private static void refused(AdminRestClient.Reply r, int status, String says) {
    assertEquals(status, r.status(), r.body());
    assertTrue(r.message().contains(says), r.message());
  }

  @Test
  void aNewMember_showsItsClusterServicePackage_inThePackageListAndMemberInformation() {
    JsonNode list = packages();
    assertEquals(1, list.size(), list::toString);
    assertEquals("cluster_service-104-00001.x86_64", list.get(0).path("packageName").asText());
    assertEquals("installed", list.get(0).path("status").asText());
    assertEquals(N, self().path("version").asText());
    assertFalse(self().path("restartService").asBoolean());
  }

  @Test
  void packageFiles_areRefused_unsignedForeignCorruptUnknownOrTooLarge() throws Exception {
    refused(
        upload(SignedPackages.unsigned("cluster_service", N1).getBytes(StandardCharsets.US_ASCII)),
        400,
        "not signed");
    PrivateKey other = KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPrivate();
    refused(upload(SignedPackages.signed("cluster_service", N1, other)), 400, "another key");
    byte[] changed = SignedPackages.clusterService(N1);
    String text = new String(changed, StandardCharsets.US_ASCII).replace(N1, "104-00009");
    refused(upload(text.getBytes(StandardCharsets.US_ASCII)), 400, "another key");
    byte[] cut = Arrays.copyOf(changed, 30);
    refused(upload(cut), 400, "corrupt");
    byte[] binary = SignedPackages.clusterService(N1);
    binary[3] = (byte) 0x91;
    refused(upload(binary), 400, "corrupt");
    refused(upload(new byte[0]), 400, "empty");
    refused(
        upload(SignedPackages.signed("lunasa_appliance", N1, SignedPackages.projectKey())),
        400,
        "not a known package");
    refused(
        upload(SignedPackages.signed("cluster_service", "1.0.5", SignedPackages.projectKey())),
        400,
        "###-#####");
    byte[] big = new byte[8192];
    Arrays.fill(big, (byte) 'a');
    AdminRestClient.Reply tooLarge = upload(big);
    refused(tooLarge, 413, "at most 4096 bytes");
    // nothing was kept: there is nothing to install
    refused(upgrade(), 409, "no package file was uploaded");
    assertEquals(1, packages().size());
  }

  @Test
  void upgrade_setsRestartService_andTheVersionRunsFromTheNextStart_thenNeedsAuthorizing() {
    assertEquals(200, upload(SignedPackages.clusterService(N1)).status());
    JsonNode up = upgrade().expect(200).json();
    assertTrue(up.path("restartService").asBoolean(), up::toString);
    JsonNode list = packages();
    assertEquals(2, list.size(), list::toString);
    assertEquals(
        SignedPackages.clusterServicePackage(N1), list.get(1).path("packageName").asText());
    JsonNode self = self();
    assertTrue(self.path("restartService").asBoolean(), self::toString);
    assertEquals(N, self.path("version").asText(), "not installed before the restart");
    assertTrue(self.path("authorized").asBoolean());

    call("POST", "/api/lunasa/services/cluster/actions/restart").send().expect(200);

    self = self();
    assertEquals(N1, self.path("version").asText(), self::toString);
    assertFalse(self.path("restartService").asBoolean(), self::toString);
    assertEquals(1, packages().size());
    assertEquals(
        SignedPackages.clusterServicePackage(N1), packages().get(0).path("packageName").asText());
    // a single-member cluster: nobody to take the authorization from, the operator gives it
    assertFalse(self.path("authorized").asBoolean(), self::toString);
    AdminRestClient.Reply refusedKeyring =
        call("POST", "/api/keyrings")
            .json(
                Map.of(
                    "authentication",
                    AdminTestSupport.co(),
                    "keyRingLabel",
                    "during-update",
                    "keyRingPassword",
                    "keyring-initial-1"))
            .send();
    refused(refusedKeyring, 409, "new cluster service version");
    AdminTestSupport.authorize(rest, cluster, memberId);
    assertTrue(self().path("authorized").asBoolean());

    // the same version again, or an older one, is not an upgrade
    upload(SignedPackages.clusterService(N1)).expect(200);
    refused(upgrade(), 409, "not newer");
  }

  @Test
  void theSingleMemberProcedure_stopDisableUploadUpgradeEnable_installsOnTheStart() {
    call("POST", "/api/lunasa/services/cluster/actions/stop").send().expect(200);
    call("POST", "/api/lunasa/services/cluster/actions/disable").send().expect(200);
    upload(SignedPackages.clusterService(N1)).expect(200);
    upgrade().expect(200);
    assertEquals(N, packages().get(0).path("version").asText(), "installed at the start only");
    call("POST", "/api/lunasa/services/cluster/actions/enable").send().expect(200);
    JsonNode self = self();
    assertEquals(N1, self.path("version").asText(), self::toString);
    assertFalse(self.path("authorized").asBoolean(), self::toString);
    AdminTestSupport.authorize(rest, cluster, memberId);
    assertTrue(self().path("authorized").asBoolean());
  }

  @Test
  void firmwareActions_otherThanUpgrade_andOtherHsms_areRefused() {
    refused(
        call("POST", "/api/lunasa/hsms/" + hsm + "/firmware/actions/rollback").send(),
        404,
        "use upgrade");
    refused(call("POST", "/api/lunasa/hsms/999999/firmware/actions/upgrade").send(), 404, "no HSM");
    refused(call("POST", "/api/lunasa/hsms/999999/supportInfo").send(), 404, "no HSM");
  }

  @Test
  void supportInfo_writesSupportInfoTxt_withTheClusterServiceLine_andNoSecret() {
    JsonNode made =
        call("POST", "/api/lunasa/hsms/" + hsm + "/supportInfo").send().expect(200).json();
    assertEquals("supportInfo.txt", made.path("fileName").asText());
    String text = call("GET", made.path("location").asText()).send().expect(200).body();
    System.out.println(text);
    assertTrue(
        text.lines().anyMatch(l -> l.equals("cluster_service: cluster_service-104-00001.x86_64")),
        text);
    assertTrue(text.contains("member: " + memberId), text);
    assertTrue(text.contains("membership epoch: "), text);
    assertTrue(text.contains("keyrings: 0"), text);
    assertTrue(text.contains("store size: "), text);
    for (String secret :
        new String[] {
          ADMIN_PW, AdminTestSupport.SO, AdminTestSupport.CO, "PRIVATE KEY", "password", "pbkdf2"
        }) {
      assertFalse(text.toLowerCase().contains(secret.toLowerCase()), secret + " in " + text);
    }
  }
}
