package dev.keyring.sim.server;

import java.util.Locale;

/**
 * The roles of appliance users, each including the rights of the ones before it: {@code monitor}
 * reads, {@code operator} also manages keyrings and the cluster service, {@code admin} does
 * everything (users, HSM provisioning, cluster creation and membership, client registration).
 */
enum ApplianceRole {
  MONITOR,
  OPERATOR,
  ADMIN;

  /**
   * The name on the wire and in the stored state: {@code admin}, {@code operator}, {@code monitor}.
   */
  String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Whether a user with this role may do what needs {@code required}. */
  boolean covers(ApplianceRole required) {
    return compareTo(required) >= 0;
  }

  /** The role with this wire name, or null. */
  static ApplianceRole fromWire(String name) {
    for (ApplianceRole r : values()) {
      if (r.wireName().equals(name)) {
        return r;
      }
    }
    return null;
  }
}
