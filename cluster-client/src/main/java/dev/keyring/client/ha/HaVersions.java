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
 * different members leave two versions (seed "Unique Object IDs"); synchronization reports them and
 * overwrites neither. Attributes a member does not reveal (sensitive values) are absent on every
 * member alike, so they never differ here.
 */
final class HaVersions {
  private HaVersions() {}

  /**
   * Null when every holder answers the same attributes for object {@code id}; otherwise a line
   * naming the object, the members that differ from the first holder and the attribute types that
   * differ (never their values).
   */
  static String compare(UUID id, List<HaMember> holders) throws TransportException {
    if (holders.size() < 2) {
      return null;
    }
    KeyringObject first = read(holders.get(0), id);
    List<String> differing = new ArrayList<>();
    TreeSet<String> types = new TreeSet<>();
    for (HaMember m : holders.subList(1, holders.size())) {
      KeyringObject other = read(m, id);
      if (first.objectClass() != other.objectClass()) {
        types.add("CKA_CLASS");
      }
      boolean differs = first.objectClass() != other.objectClass();
      TreeSet<AttributeType> all = new TreeSet<>(first.attributes().types());
      all.addAll(other.attributes().types());
      for (AttributeType t : all) {
        if (!valueEquals(first.attributes().get(t).orElse(null), other.attributes().get(t))) {
          types.add(t.name());
          differs = true;
        }
      }
      if (differs) {
        differing.add(m.serial);
      }
    }
    if (differing.isEmpty()) {
      return null;
    }
    return "object "
        + id
        + first.attributes().label().map(l -> " '" + l + "'").orElse("")
        + ": member "
        + holders.get(0).serial
        + " and member "
        + String.join(", ", differing)
        + " hold different versions (differing: "
        + String.join(", ", types)
        + "); neither was overwritten: destroy the wrong version on its member slot, then"
        + " synchronize";
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
