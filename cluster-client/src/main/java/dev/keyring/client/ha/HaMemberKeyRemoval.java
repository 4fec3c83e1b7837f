package dev.keyring.client.ha;

import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.TransportException;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.Role;
import dev.keyring.protocol.wire.CloningMessages;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Removes the HA group member key ({@link HaMemberKey}) of one group from the keyrings that leave
 * it ({@code hagroup deletegroup}, {@code removemember}, {@code removememberkey}), so that a later
 * {@code creategroup} there starts without asking. Each member is found by serial number on the
 * registered clusters and logged in as crypto officer; only data objects labelled with the group's
 * member key label are destroyed, never another object.
 */
public final class HaMemberKeyRemoval {
  private HaMemberKeyRemoval() {}

  /**
   * What happened on one member.
   *
   * @param serial the member's serial number
   * @param label its keyring label ("" when it was not found)
   * @param removed how many member keys of the group were destroyed there (0: it carried none)
   * @param failure why the member keeps its member key (it could not be reached, or refused), or
   *     null when done
   */
  public record Outcome(String serial, String label, int removed, String failure) {
    /** Whether the member carries no member key of the group any more. */
    public boolean done() {
      return failure == null;
    }
  }

  /**
   * Removes group {@code groupNumber}'s member key from each of {@code serials}; a member that
   * cannot be reached (or refuses) keeps it and is reported, and the others are still done.
   *
   * @param groupNumber the group's number, or null for the member keys of every group
   * @throws HsmException CKR_PIN_INCORRECT when a member refuses the password before any member key
   *     was removed: a wrong password changes nothing
   */
  public static List<Outcome> remove(
      ClusterClients clusters, String groupNumber, List<String> serials, String password) {
    HaLocator locator = new HaLocator(clusters);
    List<Outcome> out = new ArrayList<>();
    for (String serial : serials) {
      HaMember m = new HaMember(serial);
      try {
        locator.locate(m);
        out.add(new Outcome(serial, m.label, removeOn(clusters, m, groupNumber, password), null));
      } catch (HsmException e) {
        boolean nothingYet = out.stream().allMatch(o -> o.removed() == 0);
        if (e.code() == ResultCode.CKR_PIN_INCORRECT && nothingYet) {
          throw e;
        }
        out.add(new Outcome(serial, m.label, 0, e.getMessage()));
      } catch (TransportException e) {
        out.add(new Outcome(serial, m.label, 0, "it cannot be reached: " + e.getMessage()));
      }
    }
    return out;
  }

  private static int removeOn(
      ClusterClients clusters, HaMember m, String groupNumber, String password)
      throws TransportException {
    KeyringChannel c = clusters.openSession(m.clusterIndex, m.keyringId.toString());
    try {
      c.login(Role.KRCO, password);
      int removed = 0;
      for (CloningMessages.ClonableObject o : HaMemberKey.markers(c.clonableObjects())) {
        if (groupNumber == null
            || HaMemberKey.groupNumber(o.label()).equals(Optional.of(groupNumber))) {
          c.destroyObject(o.handle());
          removed++;
        }
      }
      return removed;
    } finally {
      try {
        c.close();
      } catch (TransportException | RuntimeException e) {
        // the session goes with the connection
      }
    }
  }
}
