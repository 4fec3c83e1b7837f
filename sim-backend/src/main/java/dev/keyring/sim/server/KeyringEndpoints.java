package dev.keyring.sim.server;

import static dev.keyring.sim.server.AdminMessages.password;
import static dev.keyring.sim.server.AdminMessages.required;

import dev.keyring.protocol.KeyringLimits;
import dev.keyring.sim.server.AdminMessages.DataList;
import dev.keyring.sim.server.AdminMessages.PartitionLabel;
import dev.keyring.store.ClusterRecord;
import dev.keyring.store.KeyringRecord;
import java.io.IOException;
import java.util.List;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /api/keyrings}: create (up to 100 per call, labels {@code label + index}, …), list, show,
 * unlock and delete keyrings. Changes need the partition CO's credential, a running cluster service
 * and an authorized member. Creation progress is not streamed: the answer lists every keyring
 * created.
 */
final class KeyringEndpoints {
  private static final Pattern ID_OR_LABEL = Pattern.compile(ClusterEndpoints.LABEL_RULE);
  private static final Logger LOG = LoggerFactory.getLogger(KeyringEndpoints.class);

  private final AdminApi api;

  KeyringEndpoints(AdminApi api) {
    this.api = api;
  }

  void register(AdminRoutes r) {
    r.add("POST", "/api/keyrings", ApplianceRole.OPERATOR, this::create)
        .add("GET", "/api/keyrings", ApplianceRole.MONITOR, this::list)
        .add("GET", "/api/keyrings/{keyringID}", ApplianceRole.MONITOR, this::show)
        .add("PATCH", "/api/keyrings/{keyringID}", ApplianceRole.OPERATOR, this::unlock)
        .add("DELETE", "/api/keyrings/{keyringID}", ApplianceRole.OPERATOR, this::delete);
  }

  /** A keyring as shown; {@code objects} only for a single keyring. */
  record KeyringView(
      String keyRingUUID,
      String keyRingLabel,
      String clusterUUID,
      boolean locked,
      int failedLogins,
      boolean passwordChangeRequired,
      boolean krcoInitialized,
      String createdAt,
      Integer objects) {}

  static KeyringView view(KeyringRecord k, Integer objects) {
    return new KeyringView(
        k.id().toString(),
        k.label(),
        k.clusterId().toString(),
        k.locked(),
        k.failedLogins(),
        k.passwordChangeRequired(),
        k.krcoInitialized(),
        k.createdAt().toString(),
        objects);
  }

  private void create(AdminCall call) throws IOException {
    AdminMessages.CreateKeyrings b = call.body(AdminMessages.CreateKeyrings.class);
    String co = password(b.authentication(), "CO", PartitionLabel.OPTIONAL, api.partitionLabel());
    String label = required(b.keyRingLabel(), "keyRingLabel");
    String initial = required(b.keyRingPassword(), "keyRingPassword");
    int total = b.total() == null ? 1 : b.total();
    if (total < 1 || total > KeyringLimits.MAX_KEYRINGS_PER_CREATE) {
      throw ApiError.badRequest(
          "total must be 1 to " + KeyringLimits.MAX_KEYRINGS_PER_CREATE + ", got " + total);
    }
    if (b.index() != null && (b.index() < 0 || b.index() > 1_000_000)) {
      throw ApiError.badRequest("index must be 0 to 1000000, got " + b.index());
    }
    if (!ID_OR_LABEL.matcher(label).matches()) {
      throw ApiError.badRequest(
          "keyRingLabel must be 1 to 64 characters of letters, digits, '_', '.', '-', starting"
              + " with a letter or digit");
    }
    if (initial.length() > AdminMessages.MAX_PASSWORD_CHARS) {
      throw ApiError.badRequest("keyRingPassword is too long");
    }
    ClusterRecord c = writable();
    List<KeyringRecord> created =
        api.appliance.keyrings().createKeyrings(co, label, initial, total, b.index(), null);
    LOG.info(
        "{} keyring(s) '{}'... created in cluster {} by {}",
        created.size(),
        label,
        c.id(),
        call.principal.user());
    call.x.reply(201, new DataList<>(created.stream().map(k -> view(k, null)).toList()));
  }

  private void list(AdminCall call) throws IOException {
    call.noBody();
    api.requireRunning();
    api.requireCluster();
    call.x.ok(
        new DataList<>(
            api.appliance.keyrings().keyrings().stream().map(k -> view(k, null)).toList()));
  }

  private void show(AdminCall call) throws IOException {
    call.noBody();
    api.requireRunning();
    api.requireCluster();
    KeyringRecord k = keyring(call);
    call.x.ok(view(k, api.appliance.store().objectCount(k.id())));
  }

  private void unlock(AdminCall call) throws IOException {
    AdminMessages.KeyringUpdate b = call.body(AdminMessages.KeyringUpdate.class);
    if (b.action() != null && !b.action().equals("unlock")) {
      throw ApiError.badRequest("unknown action: PATCH on a keyring takes action unlock");
    }
    String co = password(b.authentication(), "CO", PartitionLabel.OPTIONAL, api.partitionLabel());
    writable();
    KeyringRecord k = keyring(call);
    api.appliance.keyrings().unlock(co, k.id().toString());
    LOG.info("keyring '{}' unlocked by {}", k.label(), call.principal.user());
    KeyringRecord after = api.appliance.keyrings().keyring(k.id().toString());
    call.x.ok(view(after, api.appliance.store().objectCount(k.id())));
  }

  private void delete(AdminCall call) throws IOException {
    AdminMessages.Authenticated b = call.body(AdminMessages.Authenticated.class);
    String co = password(b.authentication(), "CO", PartitionLabel.OPTIONAL, api.partitionLabel());
    writable();
    KeyringRecord k = keyring(call);
    api.appliance.keyrings().deleteKeyring(co, k.id().toString());
    LOG.info("keyring '{}' ({}) deleted by {}", k.label(), k.id(), call.principal.user());
    call.x.noContent();
  }

  /** The cluster, when keyrings may be changed through this member. */
  private ClusterRecord writable() {
    api.requireRunning();
    ClusterRecord c = api.requireCluster();
    api.requireAuthorized(c);
    return c;
  }

  private KeyringRecord keyring(AdminCall call) {
    String id = call.param("keyringID");
    if (!AdminApi.UUID_TEXT.matcher(id).matches() && !ID_OR_LABEL.matcher(id).matches()) {
      throw ApiError.badRequest("keyringID must be a keyring's UUID or label");
    }
    return api.appliance.keyrings().keyring(id);
  }
}
