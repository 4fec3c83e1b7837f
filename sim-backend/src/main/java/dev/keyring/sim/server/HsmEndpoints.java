package dev.keyring.sim.server;

import static dev.keyring.sim.server.AdminMessages.password;
import static dev.keyring.sim.server.AdminMessages.required;

import dev.keyring.sim.hsm.Hsm;
import dev.keyring.sim.hsm.PartitionInfo;
import dev.keyring.sim.server.AdminMessages.DataList;
import dev.keyring.sim.server.AdminMessages.PartitionLabel;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HSM provisioning under {@code /api/lunasa/hsms/{hsmid}} ({@code hsmid} is the HSM serial number,
 * {@code partitionid} the partition label), enough to prepare an appliance for a cluster over REST:
 *
 * <ul>
 *   <li>{@code PUT /api/lunasa/hsms/{hsmid}} {@code {label, password}}: initialize the HSM and its
 *       SO;
 *   <li>{@code PUT .../policies/{policyid}} {@code {authentication:[SO], value}}: an HSM policy;
 *   <li>{@code POST .../partitions} {@code {authentication:[SO], label, version:"V1"}}: create the
 *       partition;
 *   <li>{@code PUT .../partitions/{partitionid}} {@code {authentication:[SO], password, domain}}:
 *       initialize it, its PO and its cloning domain;
 *   <li>{@code PUT .../partitions/{partitionid}/policies/{policyid}} {@code {authentication:[PO],
 *       value}}: a partition policy (40 must be 0 for clusters);
 *   <li>{@code PUT .../partitions/{partitionid}/roles/co} {@code {authentication:[PO], password}}:
 *       initialize the CO;
 *   <li>{@code PATCH .../partitions/{partitionid}/roles/co} {@code {authentication:[CO],
 *       newPassword}}: change the CO password.
 * </ul>
 *
 * Credentials travel in each call's {@code authentication} list: there are no HSM login sessions.
 */
final class HsmEndpoints {
  private static final Pattern POLICY_ID = Pattern.compile("\\d{1,2}");
  private static final Logger LOG = LoggerFactory.getLogger(HsmEndpoints.class);

  private final AdminApi api;

  HsmEndpoints(AdminApi api) {
    this.api = api;
  }

  void register(AdminRoutes r) {
    String hsm = "/api/lunasa/hsms/{hsmid}";
    String partition = hsm + "/partitions/{partitionid}";
    r.add("GET", "/api/lunasa/hsms", ApplianceRole.MONITOR, this::list)
        .add("GET", hsm, ApplianceRole.MONITOR, this::show)
        .add("PUT", hsm, ApplianceRole.ADMIN, this::initialize)
        .add("PUT", hsm + "/policies/{policyid}", ApplianceRole.ADMIN, this::hsmPolicy)
        .add("GET", hsm + "/partitions", ApplianceRole.MONITOR, this::partitions)
        .add("POST", hsm + "/partitions", ApplianceRole.ADMIN, this::createPartition)
        .add("GET", partition, ApplianceRole.MONITOR, this::partitionShow)
        .add("PUT", partition, ApplianceRole.ADMIN, this::initializePartition)
        .add("PUT", partition + "/policies/{policyid}", ApplianceRole.ADMIN, this::partitionPolicy)
        .add("PUT", partition + "/roles/{roleid}", ApplianceRole.ADMIN, this::initializeCo)
        .add("PATCH", partition + "/roles/{roleid}", ApplianceRole.ADMIN, this::changeCo);
  }

  /** A policy and its value. */
  record PolicyView(int policyid, int value) {}

  /** The HSM as shown. */
  record HsmView(
      String hsmid,
      String serialNumber,
      String label,
      boolean initialized,
      List<PolicyView> policies,
      int partitions) {}

  /** The partition as shown: no verifiers, no key material. */
  record PartitionView(
      String partitionid,
      String label,
      String version,
      boolean initialized,
      boolean coInitialized,
      boolean coMustChangePassword,
      String cloningDomainFingerprint,
      List<PolicyView> policies,
      boolean smkPresent,
      String smkFingerprint) {}

  private Hsm hsm() {
    return api.appliance.hsm();
  }

  private HsmView hsmView() {
    Hsm h = hsm();
    return new HsmView(
        h.serialNumber(),
        h.serialNumber(),
        h.label(),
        h.initialized(),
        policies(h.policies()),
        h.partition().isPresent() ? 1 : 0);
  }

  private static List<PolicyView> policies(Map<Integer, Integer> p) {
    List<PolicyView> out = new ArrayList<>();
    p.entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .forEach(e -> out.add(new PolicyView(e.getKey(), e.getValue())));
    return out;
  }

  private static PartitionView partitionView(PartitionInfo p) {
    return new PartitionView(
        p.label(),
        p.label(),
        p.version(),
        p.initialized(),
        p.coInitialized(),
        p.coMustChangePassword(),
        p.cloningDomainFingerprint(),
        policies(p.policies()),
        p.smkFingerprint() != null,
        p.smkFingerprint());
  }

  private void requireHsm(AdminCall call) {
    String id = call.param("hsmid");
    if (!id.equals(hsm().serialNumber())) {
      if (!id.matches("[0-9A-Za-z_.-]{1,64}")) {
        throw ApiError.badRequest("hsmid must be the HSM's serial number");
      }
      throw ApiError.notFound(
          "no HSM '" + id + "' in this appliance: its HSM is " + hsm().serialNumber());
    }
  }

  private PartitionInfo requirePartition(AdminCall call) {
    requireHsm(call);
    String id = call.param("partitionid");
    PartitionInfo p = hsm().partition().orElse(null);
    if (p == null || !p.label().equals(id)) {
      if (!id.matches("[0-9A-Za-z_.-]{1,64}")) {
        throw ApiError.badRequest("partitionid must be the partition's label");
      }
      throw ApiError.notFound(
          p == null
              ? "HSM " + hsm().serialNumber() + " has no partition yet"
              : "no partition '" + id + "' on HSM " + hsm().serialNumber());
    }
    return p;
  }

  private static int policyId(AdminCall call) {
    String id = call.param("policyid");
    if (!POLICY_ID.matcher(id).matches()) {
      throw ApiError.badRequest("policyid must be a policy number from 0 to 99");
    }
    return Integer.parseInt(id);
  }

  private static int policyValue(Integer value) {
    int v = required(value, "value");
    if (v != 0 && v != 1) {
      throw ApiError.badRequest("a policy value is 0 or 1, got " + v);
    }
    return v;
  }

  private void list(AdminCall call) throws IOException {
    call.noBody();
    call.x.ok(new DataList<>(List.of(hsmView())));
  }

  private void show(AdminCall call) throws IOException {
    call.noBody();
    requireHsm(call);
    call.x.ok(hsmView());
  }

  private void initialize(AdminCall call) throws IOException {
    AdminMessages.InitializeHsm b = call.body(AdminMessages.InitializeHsm.class);
    String label = required(b.label(), "label");
    String password = required(b.password(), "password");
    requireHsm(call);
    hsm().initialize(label, password);
    LOG.info("HSM {} initialized by {}", hsm().serialNumber(), call.principal.user());
    call.x.ok(hsmView());
  }

  private void hsmPolicy(AdminCall call) throws IOException {
    AdminMessages.SetPolicy b = call.body(AdminMessages.SetPolicy.class);
    String so = password(b.authentication(), "SO", PartitionLabel.FORBIDDEN, null);
    int value = policyValue(b.value());
    requireHsm(call);
    hsm().setPolicy(so, policyId(call), value);
    call.x.ok(hsmView());
  }

  private void partitions(AdminCall call) throws IOException {
    call.noBody();
    requireHsm(call);
    call.x.ok(
        new DataList<>(hsm().partition().map(p -> List.of(partitionView(p))).orElse(List.of())));
  }

  private void createPartition(AdminCall call) throws IOException {
    AdminMessages.CreatePartition b = call.body(AdminMessages.CreatePartition.class);
    String so = password(b.authentication(), "SO", PartitionLabel.FORBIDDEN, null);
    String label = required(b.label(), "label");
    String version = required(b.version(), "version");
    requireHsm(call);
    hsm().createPartition(so, label, version);
    LOG.info("partition '{}' created by {}", label, call.principal.user());
    call.x
        .response
        .getHeaders()
        .put(
            HttpHeader.LOCATION,
            "/api/lunasa/hsms/" + hsm().serialNumber() + "/partitions/" + label);
    call.x.reply(201, partitionView(hsm().partition().orElseThrow()));
  }

  private void partitionShow(AdminCall call) throws IOException {
    call.noBody();
    call.x.ok(partitionView(requirePartition(call)));
  }

  private void initializePartition(AdminCall call) throws IOException {
    AdminMessages.InitializePartition b = call.body(AdminMessages.InitializePartition.class);
    String so = password(b.authentication(), "SO", PartitionLabel.FORBIDDEN, null);
    String po = required(b.password(), "password");
    String domain = required(b.domain(), "domain");
    requirePartition(call);
    hsm().initializePartition(so, po, domain);
    call.x.ok(partitionView(hsm().partition().orElseThrow()));
  }

  private void partitionPolicy(AdminCall call) throws IOException {
    AdminMessages.SetPolicy b = call.body(AdminMessages.SetPolicy.class);
    String po = password(b.authentication(), "PO", PartitionLabel.OPTIONAL, api.partitionLabel());
    int value = policyValue(b.value());
    requirePartition(call);
    hsm().setPartitionPolicy(po, policyId(call), value);
    call.x.ok(partitionView(hsm().partition().orElseThrow()));
  }

  private static void requireCoRole(AdminCall call) {
    if (!"co".equals(call.param("roleid"))) {
      throw ApiError.notFound("no such role here: only the CO role (co)");
    }
  }

  private void initializeCo(AdminCall call) throws IOException {
    AdminMessages.InitializeRole b = call.body(AdminMessages.InitializeRole.class);
    String po = password(b.authentication(), "PO", PartitionLabel.OPTIONAL, api.partitionLabel());
    String co = required(b.password(), "password");
    requirePartition(call);
    requireCoRole(call);
    hsm().initCo(po, co);
    call.x.ok(partitionView(hsm().partition().orElseThrow()));
  }

  private void changeCo(AdminCall call) throws IOException {
    AdminMessages.ChangeRolePassword b = call.body(AdminMessages.ChangeRolePassword.class);
    String current =
        password(b.authentication(), "CO", PartitionLabel.OPTIONAL, api.partitionLabel());
    String next = required(b.newPassword(), "newPassword");
    requirePartition(call);
    requireCoRole(call);
    hsm().changeCoPassword(current, next);
    call.x.ok(partitionView(hsm().partition().orElseThrow()));
  }
}
