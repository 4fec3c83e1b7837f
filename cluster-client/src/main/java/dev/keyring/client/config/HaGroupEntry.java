package dev.keyring.client.config;

import java.util.List;
import java.util.Objects;

/**
 * One HA group as the {@code VirtualToken} section records it: three entries that share a two-digit
 * index {@code NN}.
 *
 * <ul>
 *   <li>{@code VirtualTokenNNLabel}: {@link #label()}
 *   <li>{@code VirtualTokenNNSN}: {@link #serialNumber()}
 *   <li>{@code VirtualTokenNNMembers}: {@link #memberSerials()}, comma-separated
 *   <li>{@code VirtualTokenNNStandby} (optional): {@link #standbySerials()}, comma-separated
 * </ul>
 *
 * <p>This is the file's record of the group only; adding, removing and synchronizing members is
 * done elsewhere.
 *
 * @param index position 0–99, written as two digits
 * @param label the group label; {@code HA} is reserved and refused
 * @param serialNumber the group's serial number (digits; Luna forms it as {@code 1} followed by the
 *     serial of the primary member)
 * @param memberSerials serial numbers (digits) of the member partitions, in file order, no
 *     duplicates
 * @param standbySerials the members (a subset of {@code memberSerials}) that are standby: they
 *     receive every object but serve only while every active member is down; at least one member
 *     stays active
 */
public record HaGroupEntry(
    int index,
    String label,
    String serialNumber,
    List<String> memberSerials,
    List<String> standbySerials) {

  /** A group without standby members. */
  public HaGroupEntry(int index, String label, String serialNumber, List<String> memberSerials) {
    this(index, label, serialNumber, memberSerials, List.of());
  }

  /** The highest HA group index plus one (indexes are two digits). */
  public static final int MAX_GROUPS = 100;

  /**
   * Validates every component.
   *
   * @throws IllegalArgumentException naming the bad component, its value and the rule
   */
  public HaGroupEntry {
    if (index < 0 || index >= MAX_GROUPS) {
      throw new IllegalArgumentException("HA group index must be 0-99, got " + index);
    }
    Objects.requireNonNull(label, "label");
    if (label.isBlank()
        || label.chars().anyMatch(c -> c < ' ' || c == ';' || c == '"')
        || !label.strip().equals(label)) {
      throw new IllegalArgumentException(
          "HA group label must be non-empty, without surrounding blanks, ';' or quotes, got '"
              + label
              + "'");
    }
    if (label.equalsIgnoreCase("HA")) {
      throw new IllegalArgumentException("HA group label 'HA' is reserved; choose another label");
    }
    requireDigits("HA group serial number", serialNumber);
    memberSerials = List.copyOf(memberSerials);
    for (int i = 0; i < memberSerials.size(); i++) {
      String member = memberSerials.get(i);
      requireDigits("member serial number", member);
      if (memberSerials.subList(0, i).contains(member)) {
        throw new IllegalArgumentException(
            "member serial number " + member + " appears twice in HA group '" + label + "'");
      }
    }
    standbySerials = List.copyOf(standbySerials);
    for (int i = 0; i < standbySerials.size(); i++) {
      String standby = standbySerials.get(i);
      if (!memberSerials.contains(standby)) {
        throw new IllegalArgumentException(
            "standby member " + standby + " is not a member of HA group '" + label + "'");
      }
      if (standbySerials.subList(0, i).contains(standby)) {
        throw new IllegalArgumentException(
            "standby member " + standby + " appears twice in HA group '" + label + "'");
      }
    }
    if (!memberSerials.isEmpty() && standbySerials.size() == memberSerials.size()) {
      throw new IllegalArgumentException(
          "HA group '" + label + "' needs at least one active member; every member is standby");
    }
  }

  /** The members that are not standby, in file order. */
  public List<String> activeSerials() {
    return memberSerials.stream().filter(s -> !standbySerials.contains(s)).toList();
  }

  /** This group with {@code serials} as its standby members. */
  public HaGroupEntry withStandby(List<String> serials) {
    return new HaGroupEntry(index, label, serialNumber, memberSerials, serials);
  }

  /**
   * This group with {@code serials} as its members; standby members no longer among them are
   * dropped from the standby list.
   */
  public HaGroupEntry withMembers(List<String> serials) {
    return new HaGroupEntry(
        index,
        label,
        serialNumber,
        serials,
        standbySerials.stream().filter(serials::contains).toList());
  }

  private static void requireDigits(String what, String value) {
    Objects.requireNonNull(value, what);
    if (value.isEmpty() || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new IllegalArgumentException(what + " must be digits only, got '" + value + "'");
    }
  }

  /** The index as the two digits inside this group's keys, e.g. {@code "00"}. */
  public String indexSuffix() {
    return String.format("%02d", index);
  }
}
