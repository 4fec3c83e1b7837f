package dev.keyring.client.ha;

import dev.keyring.client.api.KeyringObject;
import dev.keyring.client.api.TransportException;
import dev.keyring.protocol.AttributeType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import java.util.UUID;

/**
 * Compares the versions of one object (one object id) that several members of an HA group hold: the
 * attributes each member answers for it. Two applications that changed the same object through
 * different members leave two versions (seed "Unique Object IDs"); synchronization and recovery
 * report them and overwrite neither. Attributes a member does not reveal (sensitive values) are
 * absent on every member alike, so they never differ here. Reports name the object id, its label,
 * the members and the attribute types that differ, never a value.
 */
final class HaVersions {
  private HaVersions() {}

  /**
   * An object held in different versions.
   *
   * @param id the object id
   * @param reference the first holder in file order: its version is the one the group serves
   * @param differing the holders whose version differs from the reference's
   * @param line the report: object, label, members and differing attribute types
   */
  record Conflict(UUID id, HaMember reference, List<HaMember> differing, String line) {
    Conflict {
      differing = List.copyOf(differing);
    }

    /** Marks the differing holders: they pass the object over until the conflict is resolved. */
    void markDiffering() {
      for (HaMember m : differing) {
        m.conflicting.put(id, reference.serial);
      }
    }
  }

  /**
   * Null when every holder answers the same attributes for object {@code id}; otherwise the
   * conflict: the members that differ from the first holder and the attribute types that differ.
   *
   * @param holders the members holding the object, in file order (the first is the reference)
   */
  static Conflict find(UUID id, List<HaMember> holders) throws TransportException {
    if (holders.size() < 2) {
      return null;
    }
    KeyringObject first = read(holders.get(0), id);
    List<HaMember> differing = new ArrayList<>();
    TreeSet<String> types = new TreeSet<>();
    for (HaMember m : holders.subList(1, holders.size())) {
      KeyringObject other = read(m, id);
      boolean differs = first.objectClass() != other.objectClass();
      if (differs) {
        types.add("CKA_CLASS");
      }
      TreeSet<AttributeType> all = new TreeSet<>(first.attributes().types());
      all.addAll(other.attributes().types());
      for (AttributeType t : all) {
        if (!valueEquals(first.attributes().get(t).orElse(null), other.attributes().get(t))) {
          types.add(t.name());
          differs = true;
        }
      }
      if (differs) {
        differing.add(m);
      }
    }
    if (differing.isEmpty()) {
      return null;
    }
    String line =
        "object "
            + id
            + first.attributes().label().map(l -> " '" + l + "'").orElse("")
            + ": member "
            + holders.get(0).serial
            + " and member "
            + String.join(", ", differing.stream().map(m -> m.serial).toList())
            + " hold different versions (differing: "
            + String.join(", ", types)
            + "); neither was overwritten: destroy the wrong version on its member slot, then"
            + " synchronize";
    return new Conflict(id, holders.get(0), differing, line);
  }

  private static KeyringObject read(HaMember m, UUID id) throws TransportException {
    return m.channel.getObject(m.handles.get(id));
  }

  private static boolean valueEquals(Object a, Optional<Object> b) {
    Object bv = b.orElse(null);
    if (a instanceof byte[] && bv instanceof byte[]) {
      return Arrays.equals((byte[]) a, (byte[]) bv);
    }
    return Objects.equals(a, bv);
  }
}
