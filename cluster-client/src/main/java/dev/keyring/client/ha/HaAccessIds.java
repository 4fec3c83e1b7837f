package dev.keyring.client.ha;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The access IDs of one client: a member of an HA group accepts one access ID per client, so a
 * client that has a session open directly on a member slot cannot use the group's virtual slot, and
 * a client using the virtual slot cannot open a session directly on one of its members. Both are
 * refused with {@code CKR_ACCESS_ID_ALREADY_EXISTS}, saying which slot to log out of first.
 *
 * <p>One instance per client (the provider keeps one); slots are named by serial number. Each claim
 * is released by closing it.
 */
public final class HaAccessIds {
  /** Direct sessions per member serial: how many, and the slot name used. */
  private final Map<String, Integer> direct = new HashMap<>();

  private final Map<String, String> directNames = new HashMap<>();

  /** The open virtual slots: each claim's group label and its members as they are now. */
  private final List<GroupClaim> groups = new ArrayList<>();

  private record GroupClaim(String label, Supplier<List<String>> members) {}

  /** A claim on access IDs, released by {@link #close()} (more than once is harmless). */
  public interface Claim extends AutoCloseable {
    @Override
    void close();
  }

  /**
   * Claims a direct session on the slot with serial number {@code serial}.
   *
   * @param slotName how the caller named the slot, for messages
   * @throws HsmException CKR_ACCESS_ID_ALREADY_EXISTS when this client uses an HA group the slot is
   *     a member of
   */
  public synchronized Claim direct(String serial, String slotName) {
    for (GroupClaim g : groups) {
      if (!g.members().get().contains(serial)) {
        continue;
      }
      String label = g.label();
      throw new HsmException(
          ResultCode.CKR_ACCESS_ID_ALREADY_EXISTS,
          "slot '"
              + slotName
              + "' (serial "
              + serial
              + ") is a member of HA group '"
              + label
              + "', which this client is using, and a member accepts one access ID per client:"
              + " use the group's slot (slot="
              + label
              + "), or log out of the group's slot first");
    }
    direct.merge(serial, 1, Integer::sum);
    directNames.put(serial, slotName);
    return once(() -> release(direct, serial));
  }

  /**
   * Claims the members of HA group {@code label} for its virtual slot.
   *
   * @throws HsmException CKR_ACCESS_ID_ALREADY_EXISTS when this client has a session open directly
   *     on one of the members
   */
  public synchronized Claim group(String label, List<String> memberSerials) {
    List<String> serials = List.copyOf(memberSerials);
    return group(label, () -> serials);
  }

  /**
   * Claims the members of HA group {@code label} for its virtual slot, as they are at each check:
   * an open group whose members change (members added to or removed from the client file while it
   * runs) claims its members of the moment.
   *
   * @throws HsmException CKR_ACCESS_ID_ALREADY_EXISTS when this client has a session open directly
   *     on one of the members
   */
  public synchronized Claim group(String label, Supplier<List<String>> memberSerials) {
    for (String serial : memberSerials.get()) {
      if (direct.getOrDefault(serial, 0) > 0) {
        throw new HsmException(
            ResultCode.CKR_ACCESS_ID_ALREADY_EXISTS,
            "HA group '"
                + label
                + "' cannot be used: this client has a session open directly on its member slot '"
                + directNames.get(serial)
                + "' (serial "
                + serial
                + "), and a member accepts one access ID per client: log out of the member slot"
                + " first");
      }
    }
    GroupClaim claim = new GroupClaim(label, memberSerials);
    groups.add(claim);
    return once(() -> groups.removeIf(g -> g == claim));
  }

  private static void release(Map<String, Integer> counts, String key) {
    counts.computeIfPresent(key, (k, n) -> n <= 1 ? null : n - 1);
  }

  private Claim once(Runnable release) {
    return new Claim() {
      private boolean closed;

      @Override
      public void close() {
        synchronized (HaAccessIds.this) {
          if (!closed) {
            closed = true;
            release.run();
          }
        }
      }
    };
  }
}
