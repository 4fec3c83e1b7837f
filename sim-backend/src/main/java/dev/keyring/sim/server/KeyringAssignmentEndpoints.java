package dev.keyring.sim.server;

import static dev.keyring.sim.server.AdminMessages.required;

import dev.keyring.store.ClusterRecord;
import dev.keyring.store.KeyringRecord;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /api/clusters/{clusterID}/keyring-assignments}: the assignment of keyrings to clients
 * (beyond the administration guide; off by default, see {@link KeyringAssignments}). {@code GET}
 * shows the mode and the assignments; {@code PATCH {"enabled": true|false}} turns the mode on or
 * off; {@code POST {"client": NAME, "keyring": ID}} assigns a keyring (UUID or label) to a
 * registered client (by the common name it registered with), {@code DELETE} with the same body
 * takes it away. Changes need the admin role and are replicated: made through any member, they hold
 * on every member.
 */
final class KeyringAssignmentEndpoints {
  static final String PATH = "/api/clusters/{clusterID}/keyring-assignments";
  private static final Pattern ID_OR_LABEL = Pattern.compile(ClusterEndpoints.LABEL_RULE);
  private static final Logger LOG = LoggerFactory.getLogger(KeyringAssignmentEndpoints.class);

  private final AdminApi api;

  KeyringAssignmentEndpoints(AdminApi api) {
    this.api = api;
  }

  void register(AdminRoutes r) {
    r.add("GET", PATH, ApplianceRole.MONITOR, this::show)
        .add("PATCH", PATH, ApplianceRole.ADMIN, this::mode)
        .add("POST", PATH, ApplianceRole.ADMIN, this::assign)
        .add("DELETE", PATH, ApplianceRole.ADMIN, this::unassign);
  }

  /** {@code PATCH} body. */
  record Mode(Boolean enabled) {}

  /** {@code POST} and {@code DELETE} body: a client's name and a keyring's UUID or label. */
  record Assignment(String client, String keyring) {}

  /** A keyring as listed under its client. */
  record KeyringRef(String keyRingUUID, String keyRingLabel) {}

  /** One client's keyrings. */
  record ClientKeyrings(String client, List<KeyringRef> keyrings) {}

  /** The answer of {@code GET} and {@code PATCH}. */
  record AssignmentsView(boolean enabled, List<ClientKeyrings> clients) {}

  private void show(AdminCall call) throws IOException {
    call.noBody();
    api.requireRunning();
    api.requireCluster(call.param("clusterID"));
    call.x.ok(view());
  }

  private void mode(AdminCall call) throws IOException {
    Mode b = call.body(Mode.class);
    if (b.enabled() == null) {
      throw ApiError.badRequest("enabled is required (true or false)");
    }
    ClusterRecord c = writable(call);
    api.assignments.setEnabled(b.enabled());
    LOG.info(
        "keyring assignments {} in cluster {} by {}",
        b.enabled() ? "enabled" : "disabled",
        c.id(),
        call.principal.user());
    call.x.ok(view());
  }

  private void assign(AdminCall call) throws IOException {
    Assignment b = call.body(Assignment.class);
    String client = clientName(b);
    KeyringRecord k = keyring(b);
    writable(call);
    if (api.assignments.clientNames().stream().noneMatch(client::equals)) {
      throw ApiError.notFound("no registered client has that name");
    }
    if (api.assignments.assign(client, k.id())) {
      LOG.info("keyring {} assigned to a client by {}", k.id(), call.principal.user());
    }
    call.x.noContent();
  }

  private void unassign(AdminCall call) throws IOException {
    Assignment b = call.body(Assignment.class);
    String client = clientName(b);
    KeyringRecord k = keyring(b);
    writable(call);
    if (!api.assignments.unassign(client, k.id())) {
      throw ApiError.notFound("that keyring is not assigned to that client");
    }
    LOG.info("keyring {} taken from a client by {}", k.id(), call.principal.user());
    call.x.noContent();
  }

  private AssignmentsView view() {
    List<ClientKeyrings> out = new ArrayList<>();
    for (Map.Entry<String, List<String>> e : api.assignments.assignments().entrySet()) {
      List<KeyringRef> refs = new ArrayList<>();
      for (String id : e.getValue()) {
        Optional<KeyringRecord> k = api.appliance.store().keyring(UUID.fromString(id));
        // a deleted keyring's assignment is kept (it opens nothing) and shown without a label
        refs.add(new KeyringRef(id, k.map(KeyringRecord::label).orElse(null)));
      }
      out.add(new ClientKeyrings(e.getKey(), refs));
    }
    return new AssignmentsView(api.assignments.enabled(), out);
  }

  /** The cluster, when its state may be changed through this member. */
  private ClusterRecord writable(AdminCall call) {
    api.requireRunning();
    return api.requireCluster(call.param("clusterID"));
  }

  private static String clientName(Assignment b) {
    String name = required(b.client(), "client");
    if (name.isEmpty() || name.length() > 64) {
      throw ApiError.badRequest("client must be a registered client's name, 1 to 64 characters");
    }
    return name;
  }

  private KeyringRecord keyring(Assignment b) {
    String id = required(b.keyring(), "keyring");
    if (!AdminApi.UUID_TEXT.matcher(id).matches() && !ID_OR_LABEL.matcher(id).matches()) {
      throw ApiError.badRequest("keyring must be a keyring's UUID or label");
    }
    return api.appliance.keyrings().keyring(id);
  }
}
