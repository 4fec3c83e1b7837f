package dev.keyring.sim.server;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.keyring.protocol.ResultCode;
import java.util.List;

/**
 * The JSON bodies the admin API takes, with the field names of the Luna REST API where it has one.
 * Every field is boxed so that a missing one is seen as null and refused with its name; unknown
 * fields are refused by the mapper.
 */
final class AdminMessages {
  /** Passwords are checked against verifiers; longer ones are refused before any KDF runs. */
  /** A list answer: {@code {"data": [...]}}. */
  record DataList<T>(List<T> data) {}

  static final int MAX_PASSWORD_CHARS = 1024;

  private AdminMessages() {}

  /** One credential: {@code type} SO, PO or CO; {@code partitionLabel} where the seed uses it. */
  record Credential(String type, String password, String partitionLabel) {}

  /** A body with no fields: {@code {}}. */
  record Empty() {}

  /** A body carrying only credentials. */
  record Authenticated(List<Credential> authentication) {}

  record CreateCluster(List<Credential> authentication, String clusterLabel) {}

  record MemberUpdate(
      String action, List<Credential> authentication, String group, Boolean primary) {}

  record CreateKeyrings(
      List<Credential> authentication,
      String keyRingLabel,
      String keyRingPassword,
      Integer total,
      Integer index) {}

  record KeyringUpdate(List<Credential> authentication, String action) {}

  record ClusterConfig(
      String service,
      @JsonProperty("IpAddress") String ipAddress,
      @JsonProperty("interface") String networkInterface,
      Integer port) {}

  record ServiceUpdate(Boolean onBoot) {}

  record InitializeHsm(String label, String password) {}

  record SetPolicy(List<Credential> authentication, Integer value) {}

  record CreatePartition(List<Credential> authentication, String label, String version) {}

  record InitializePartition(List<Credential> authentication, String password, String domain) {}

  record InitializeRole(List<Credential> authentication, String password) {}

  record ChangeRolePassword(List<Credential> authentication, String newPassword) {}

  record NewUser(String userId, String role, String password) {}

  record UserUpdate(String password, String oldPassword) {}

  /** Whether the partition label in a credential must be given, may be given, or must be absent. */
  enum PartitionLabel {
    REQUIRED,
    OPTIONAL,
    FORBIDDEN
  }

  /**
   * The password of the one credential of {@code type} in {@code authentication}; refuses a missing
   * list, unknown or repeated types, credentials of other roles, an empty password (PED keys are
   * not simulated), and a partition label where none belongs or that names another partition.
   *
   * @param partition the partition's label, or null when the HSM has none
   */
  static String password(
      List<Credential> authentication, String type, PartitionLabel rule, String partition) {
    if (authentication == null || authentication.isEmpty()) {
      throw ApiError.badRequest(
          "missing 'authentication': this operation needs the " + type + "'s password");
    }
    if (authentication.size() > 4) {
      throw ApiError.badRequest("'authentication' holds at most 4 credentials");
    }
    Credential found = null;
    for (int i = 0; i < authentication.size(); i++) {
      Credential c = authentication.get(i);
      String where = "authentication[" + i + "]";
      if (c == null) {
        throw ApiError.badRequest(where + " is null");
      }
      if (c.type() == null) {
        throw ApiError.badRequest("missing field 'type' at " + where);
      }
      if (!List.of("SO", "PO", "CO").contains(c.type())) {
        throw new ApiError(
            400,
            ResultCode.CKR_USER_TYPE_INVALID,
            "unknown credential type at " + where + ": use SO, PO or CO");
      }
      if (!c.type().equals(type)) {
        throw new ApiError(
            400,
            ResultCode.CKR_USER_TYPE_INVALID,
            "this operation takes the " + type + "'s credential, not the " + c.type() + "'s");
      }
      if (found != null) {
        throw ApiError.badRequest("the " + type + "'s credential is given twice");
      }
      found = c;
    }
    if (found.password() == null) {
      throw ApiError.badRequest("missing field 'password' at authentication[0]");
    }
    if (found.password().isEmpty()) {
      throw ApiError.badRequest(
          "an empty password means a PED key, which this simulator does not have: give the"
              + " password");
    }
    if (found.password().length() > MAX_PASSWORD_CHARS) {
      throw new ApiError(400, ResultCode.CKR_PIN_LEN_RANGE, "the password is too long");
    }
    String label = found.partitionLabel();
    if (label == null && rule == PartitionLabel.REQUIRED) {
      throw ApiError.badRequest(
          "missing field 'partitionLabel': name the partition whose " + type + " authorizes this");
    }
    if (label != null && rule == PartitionLabel.FORBIDDEN) {
      throw ApiError.badRequest(
          "'partitionLabel' does not belong to the " + type + "'s credential");
    }
    if (label != null && !label.equals(partition)) {
      throw new ApiError(
          400,
          ResultCode.CKR_TOKEN_NOT_PRESENT,
          partition == null
              ? "this HSM has no partition yet"
              : "no partition with that label on this HSM (its partition is '" + partition + "')");
    }
    return found.password();
  }

  /** Refuses a missing field, naming it. */
  static <T> T required(T value, String field) {
    if (value == null) {
      throw ApiError.badRequest("missing field '" + field + "'");
    }
    return value;
  }
}
