package dev.keyring.client.ha;

import dev.keyring.protocol.AttributeType;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.wire.CloningMessages;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * The HA group member key: a data object that {@code hagroup creategroup} and {@code addmember}
 * leave on each member, saying which group (by number) the keyring belongs to. A second client that
 * creates a group on a keyring carrying one is asked whether to keep it ({@code copy}: that client
 * then shares the group) or to start over ({@code remove}).
 *
 * <p>The marker is a public data object: its label is {@value #LABEL_PREFIX} followed by the group
 * number, its value the group's label. The virtual slot neither lists nor replicates markers: each
 * member keeps its own.
 */
public final class HaMemberKey {
  /** The start of every marker's label. */
  public static final String LABEL_PREFIX = "keyring-ha-group-member-key:";

  private HaMemberKey() {}

  /** Whether an object labelled {@code label} is a group member key. */
  public static boolean isMarker(String label) {
    return label != null && label.startsWith(LABEL_PREFIX);
  }

  /** Whether {@code o} is a group member key. */
  public static boolean isMarker(CloningMessages.ClonableObject o) {
    return o.objectClass().equals(ObjectClass.DATA.name()) && isMarker(o.label());
  }

  /** The group number a marker labelled {@code label} names, if it is one. */
  public static Optional<String> groupNumber(String label) {
    return isMarker(label) ? Optional.of(label.substring(LABEL_PREFIX.length())) : Optional.empty();
  }

  /** The markers among a keyring's objects. */
  public static List<CloningMessages.ClonableObject> markers(
      List<CloningMessages.ClonableObject> objects) {
    return objects.stream().filter(HaMemberKey::isMarker).toList();
  }

  /** The template of the marker of group {@code groupNumber} labelled {@code groupLabel}. */
  public static Attributes template(String groupNumber, String groupLabel) {
    return Attributes.builder()
        .set(AttributeType.CKA_CLASS, ObjectClass.DATA)
        .set(AttributeType.CKA_TOKEN, true)
        .label(LABEL_PREFIX + groupNumber)
        .set(AttributeType.CKA_VALUE, groupLabel.getBytes(StandardCharsets.UTF_8))
        .build();
  }
}
