package dev.keyring.protocol.channel;

import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.Role;
import dev.keyring.protocol.wire.ClusterPosition;

/**
 * One request as the member reads it ({@link ChannelCodec#readRequest}): the fields its opcode
 * carries, the others null. {@link #toString()} shows the id and opcode only (a request may carry a
 * password).
 */
public final class ChannelRequest {
  public final int id;
  public final Opcode opcode;

  /** The client's read-your-writes position, or null. */
  public final ClusterPosition position;

  /** Whether only the primary may answer. */
  public final boolean primaryOnly;

  public String session;
  public long key;
  public Mechanism mechanism;
  public MechanismParams params;
  public byte[] data;
  public byte[] signature;
  public String keyring;
  public Role role;
  public String password;
  public String method;
  public String path;
  public byte[] json;

  ChannelRequest(int id, Opcode opcode, ClusterPosition position, boolean primaryOnly) {
    this.id = id;
    this.opcode = opcode;
    this.position = position;
    this.primaryOnly = primaryOnly;
  }

  @Override
  public String toString() {
    return "ChannelRequest[" + id + " " + opcode + "]";
  }
}
