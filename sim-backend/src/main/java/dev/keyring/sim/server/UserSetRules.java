package dev.keyring.sim.server;

import dev.keyring.protocol.HsmException;
import dev.keyring.sim.hsm.PasswordHasher;
import java.util.Map;
import java.util.regex.Pattern;

/** The rules a set of appliance users (as stored, exported or replicated) must meet. */
final class UserSetRules {
  private static final Pattern NAME = Pattern.compile(ApplianceUsers.NAME_RULE);

  private UserSetRules() {}

  /**
   * Checks a set of users: valid names and roles, the three built-in users with their own roles,
   * well-formed verifiers, every custom user with one, {@code admin} enabled. A refusal is made by
   * {@code bad} from the reason.
   */
  static void check(
      Map<String, ApplianceUsers.StoredUser> users,
      java.util.function.Function<String, HsmException> bad) {
    if (users == null || users.size() > ApplianceUsers.MAX_USERS) {
      throw bad.apply("it must list 3 to " + ApplianceUsers.MAX_USERS + " users");
    }
    for (Map.Entry<String, ApplianceUsers.StoredUser> entry : users.entrySet()) {
      String name = entry.getKey();
      ApplianceUsers.StoredUser u = entry.getValue();
      if (name == null || !NAME.matcher(name).matches()) {
        throw bad.apply("a user name is not valid");
      }
      if (u == null) {
        throw bad.apply("user '" + name + "' has no description");
      }
      ApplianceRole role = ApplianceRole.fromWire(u.role);
      if (role == null) {
        throw bad.apply("user '" + name + "' has an unknown role");
      }
      if (u.builtIn != ApplianceUsers.BUILT_IN.contains(name)) {
        throw bad.apply("user '" + name + "' is marked built-in wrongly");
      }
      if (u.builtIn && !role.wireName().equals(name)) {
        throw bad.apply("the built-in user '" + name + "' must keep its own role");
      }
      if (u.verifier != null && !PasswordHasher.wellFormed(u.verifier)) {
        throw bad.apply("user '" + name + "' has a malformed password verifier");
      }
      if (!u.builtIn && u.verifier == null) {
        throw bad.apply("the custom user '" + name + "' has no password verifier");
      }
    }
    for (String b : ApplianceUsers.BUILT_IN) {
      if (!users.containsKey(b)) {
        throw bad.apply("the built-in user '" + b + "' is missing");
      }
    }
    if (users.get("admin").verifier == null) {
      throw bad.apply("'admin' must be enabled, or nobody could administer the appliance");
    }
  }
}
