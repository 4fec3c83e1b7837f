package dev.keyring.sim.server;

import static dev.keyring.sim.server.AdminMessages.required;

import dev.keyring.protocol.ResultCode;
import dev.keyring.sim.server.AdminMessages.DataList;
import java.io.IOException;
import org.eclipse.jetty.http.HttpHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appliance users under {@code /users}: the admin lists, adds ({@code {userId, role, password}}),
 * deletes custom users and sets anyone's password ({@code PATCH /users/{userId}} {@code
 * {password}}), which also enables a built-in {@code operator} or {@code monitor}. Any user may
 * read itself and change its own password by giving the current one ({@code oldPassword}). A
 * password change or deletion ends the user's sessions.
 */
final class UserEndpoints {
  private static final Logger LOG = LoggerFactory.getLogger(UserEndpoints.class);

  private final AdminApi api;

  UserEndpoints(AdminApi api) {
    this.api = api;
  }

  void register(AdminRoutes r) {
    r.add("GET", "/users", ApplianceRole.ADMIN, this::list)
        .add("POST", "/users", ApplianceRole.ADMIN, this::add)
        .add("GET", "/users/{userId}", ApplianceRole.MONITOR, this::show)
        .add("PATCH", "/users/{userId}", ApplianceRole.MONITOR, this::update)
        .add("DELETE", "/users/{userId}", ApplianceRole.ADMIN, this::delete);
  }

  private void list(AdminCall call) throws IOException {
    call.noBody();
    call.x.ok(new DataList<>(api.users.list()));
  }

  private void add(AdminCall call) throws IOException {
    AdminMessages.NewUser b = call.body(AdminMessages.NewUser.class);
    String name = required(b.userId(), "userId");
    ApplianceUsers.requireName(name);
    ApplianceRole role = ApplianceRole.fromWire(required(b.role(), "role"));
    if (role == null) {
      throw ApiError.badRequest("role must be admin, operator or monitor");
    }
    String password = required(b.password(), "password");
    ApplianceUsers.UserView u = api.users.add(name, role, password);
    LOG.info("appliance user '{}' ({}) added by {}", name, role.wireName(), call.principal.user());
    call.x.response.getHeaders().put(HttpHeader.LOCATION, "/users/" + name);
    call.x.reply(201, u);
  }

  private String selfOrAdmin(AdminCall call) {
    String name = call.param("userId");
    ApplianceUsers.requireName(name);
    if (!name.equals(call.principal.user()) && !call.is(ApplianceRole.ADMIN)) {
      throw new ApiError(
          403,
          ResultCode.CKR_FUNCTION_REJECTED,
          "only the admin role may see or change another user");
    }
    return name;
  }

  private void show(AdminCall call) throws IOException {
    call.noBody();
    String name = selfOrAdmin(call);
    call.x.ok(
        api.users
            .get(name)
            .orElseThrow(() -> ApiError.notFound("no appliance user has that name")));
  }

  private void update(AdminCall call) throws IOException {
    AdminMessages.UserUpdate b = call.body(AdminMessages.UserUpdate.class);
    String password = required(b.password(), "password");
    String name = selfOrAdmin(call);
    String checked = null; // the password checked, which the change must still find
    if (!call.is(ApplianceRole.ADMIN)) {
      checked =
          api.users.requirePassword(
              name, required(b.oldPassword(), "oldPassword"), AdminApi.source(call.x.request));
    } else if (b.oldPassword() != null && name.equals(call.principal.user())) {
      checked = api.users.requirePassword(name, b.oldPassword(), AdminApi.source(call.x.request));
    }
    ApplianceUsers.UserView u = api.users.setPassword(name, password, checked);
    api.sessions.closeUser(name);
    LOG.info("password of appliance user '{}' set by {}", name, call.principal.user());
    call.x.ok(u);
  }

  private void delete(AdminCall call) throws IOException {
    call.noBodyOrEmptyObject();
    String name = call.param("userId");
    ApplianceUsers.requireName(name);
    if (name.equals(call.principal.user())) {
      throw ApiError.conflict(ResultCode.CKR_FUNCTION_REJECTED, "a user cannot delete itself");
    }
    api.users.delete(name);
    api.sessions.closeUser(name);
    LOG.info("appliance user '{}' deleted by {}", name, call.principal.user());
    call.x.noContent();
  }
}
