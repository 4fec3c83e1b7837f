package dev.keyring.client.ha;

import java.util.UUID;

/**
 * The handles an HA group's virtual slot gives its objects: a positive number taken from the
 * object's id, which is the same on every member (objects move between members by cloning, which
 * keeps the id), so a handle stays valid whichever member serves a call, and across processes.
 */
final class VirtualHandles {
  private VirtualHandles() {}

  static long of(UUID objectId) {
    long h = objectId.getMostSignificantBits() & Long.MAX_VALUE;
    return h == 0 ? 1 : h;
  }
}
