package dev.keyring.sim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/**
 * The letters of {@code cluster member list} as the administration guide reads them in its update
 * prerequisites: {@code P} primary, {@code *} the member one talks to, {@code x} not visible to the
 * servicing member ({@code visibleToServicingNode} false), {@code R} its cluster service needs a
 * restart ({@code restartService} true). A member that is read-only for want of the primary is not
 * marked R: its mode column says so.
 */
class MemberMarkersTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static String markers(String json) throws Exception {
    JsonNode m = JSON.readTree(json);
    return ClusterCommand.Member.ListMembers.markers(m);
  }

  @Test
  void eachLetter_comesFromItsOwnField() throws Exception {
    assertEquals(
        "P*  ", markers("{\"primaryNode\":true,\"local\":true,\"visibleToServicingNode\":true}"));
    assertEquals("  x ", markers("{\"visibleToServicingNode\":false,\"restartService\":false}"));
    assertEquals("   R", markers("{\"visibleToServicingNode\":true,\"restartService\":true}"));
    assertEquals("  xR", markers("{\"visibleToServicingNode\":false,\"restartService\":true}"));
  }

  @Test
  void aReadOnlyMember_isNotMarkedR() throws Exception {
    assertEquals(
        "    ",
        markers(
            "{\"visibleToServicingNode\":true,\"restartService\":false,\"mode\":\"Read-Only\"}"));
  }
}
