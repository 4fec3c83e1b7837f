package dev.keyring.sim.boundary;

/**
 * Where the value of a private or secret key came from, as its SKS blob records it (PKCS#11 calls
 * the same fact CKA_LOCAL; keyrings do not show it as an attribute). It is set when the object is
 * made and never changes: relabeling seals the blob again with the same origin, and replication,
 * cloning and backups carry the blob as it is.
 */
enum KeyOrigin {
  /**
   * Generated inside the boundary from its random generator: no one outside has known the value.
   */
  INSIDE((byte) 1),

  /**
   * Entered from outside: unwrapped from bytes made outside the keyring, or derived by ECDH with a
   * peer key whose private half the caller may hold. Whoever made those bytes, or holds that peer
   * key, may know the value. Blobs written before origins were recorded count as this too.
   */
  OUTSIDE((byte) 2);

  private final byte code;

  KeyOrigin(byte code) {
    this.code = code;
  }

  /** The byte the blob header carries. */
  byte code() {
    return code;
  }

  /** The origin with this header byte, or null for an unknown one. */
  static KeyOrigin fromCode(byte code) {
    for (KeyOrigin o : values()) {
      if (o.code == code) {
        return o;
      }
    }
    return null;
  }
}
