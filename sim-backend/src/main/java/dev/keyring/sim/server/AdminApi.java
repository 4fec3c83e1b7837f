package dev.keyring.sim.server;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.wire.ErrorResponse;
import dev.keyring.sim.Appliance;
import dev.keyring.sim.cluster.ClusterNode;
import dev.keyring.sim.hsm.PasswordHasher;
import dev.keyring.store.ClusterRecord;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpCookie;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin REST API of a member, modelled on the Luna REST API for clusters: appliance users and
 * sessions ({@code /auth/session}, {@code /users}), HSM provisioning ({@code /api/lunasa/hsms}),
 * the cluster service ({@code /api/lunasa/services}, {@code /api/cluster/config}), the cluster and
 * its members ({@code /api/clusters}), client registration and keyrings ({@code /api/keyrings}).
 *
 * <p>Every {@code /api} and {@code /users} call needs HTTP Basic credentials of an appliance user
 * or the session cookie from {@code POST /auth/session}; the user's role decides what it may do
 * (see {@link ApplianceRole}). Every refusal is JSON ({@code {"error":{code,value,message}}}) with
 * a 4xx status and changes nothing; bodies are limited to 1 MiB.
 */
final class AdminApi extends Handler.Abstract {
  static final int MAX_BODY = 1 << 20;
  static final String CHALLENGE = "Basic realm=\"keyring\", charset=\"UTF-8\"";
  static final Pattern UUID_TEXT =
      Pattern.compile(
          "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
  private static final Logger LOG = LoggerFactory.getLogger(AdminApi.class);

  final Member member;
  final Appliance appliance;
  final ApplianceUsers users;
  final AdminSessions sessions;
  final ClusterServiceState state;
  final RegisteredClients clients;
  final KeyringAssignments assignments;
  final SharedLockouts lockouts;

  /** Told of each step a join on this member reaches; tests fail joins there. */
  volatile java.util.function.Consumer<JoinFlow.Step> joinHook = step -> {};

  /** Run once a start of the cluster service is under way; tests hold the start there. */
  volatile Runnable serviceStartHook = () -> {};

  final dev.keyring.sim.packages.InstalledPackages packages;

  /** Serializes the calls that change cluster membership or the service's state. */
  final Object clusterLock = new Object();

  private final AdminRoutes routes = new AdminRoutes();
  private final BackupEndpoints backups;
  private final BodyLimits bodyLimits;

  AdminApi(Member member) {
    this.member = member;
    this.appliance = member.appliance();
    this.users =
        ApplianceUsers.open(
            new UserStateStore(appliance.store(), appliance.writer(), () -> member.node() != null),
            new PasswordHasher(appliance.config().kdfIterations()),
            appliance.config().dataDir(),
            member.config().initialAdminPassword(),
            member.config().ticker());
    this.lockouts =
        new SharedLockouts(appliance, () -> member.node() != null, member.config().ticker());
    users.shareLockouts(lockouts);
    this.sessions = new AdminSessions(AdminSessions.DEFAULT_IDLE, member.config().ticker());
    this.state = new ClusterServiceState(appliance.store());
    JoinFlow.recoverInterrupted(appliance, state, users::reload);
    this.packages = new dev.keyring.sim.packages.InstalledPackages(appliance.store());
    appliance.keyrings().memberAuthorization(this::requireAuthorizedForObjects);
    this.clients = new RegisteredClients(appliance, state, member::clientRevoked);
    clients.reload();
    this.assignments = new KeyringAssignments(appliance, clients, member.cryptoSessions());
    assignments.reload();
    this.bodyLimits = member.bodyLimits(2L * MAX_BODY);
    appliance.cluster().ifPresent(state::member);
    routes
        .add("POST", "/auth/session", null, this::login)
        .add("DELETE", "/auth/session", null, this::logout)
        .add("GET", "/metrics", ApplianceRole.MONITOR, this::metrics);
    new UserEndpoints(this).register(routes);
    new HsmEndpoints(this).register(routes);
    new ServiceEndpoints(this).register(routes);
    new ClusterEndpoints(this).register(routes);
    new MemberEndpoints(this).register(routes);
    new ClientEndpoints(this).register(routes);
    new KeyringEndpoints(this).register(routes);
    new KeyringAssignmentEndpoints(this).register(routes);
    new PackageEndpoints(this).register(routes);
    new SmkBackupEndpoints(this).register(routes);
    backups = new BackupEndpoints(this);
    backups.register(routes);
  }

  /** The member's metrics, Prometheus text format (see docs/metrics.md). */
  private void metrics(AdminCall call) throws java.io.IOException {
    call.noBody();
    call.x.text(200, "text/plain; version=0.0.4; charset=utf-8", member.metricsText());
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    Lease lease = new Lease(member.buffers());
    JsonExchange x = new JsonExchange(request, response, lease.releasing(callback));
    AdminCall call;
    AdminRoutes.Action action;
    try {
      Admitted m = admit(x);
      call = new AdminCall(x, m.principal(), m.match().params());
      action = m.match().route().action();
    } catch (Exception e) {
      // refused on its headers alone: the body is thrown away (within bounds), never kept
      BodyReader.drain(
          request,
          bodyLimits,
          "admin API",
          drained -> {
            if (!drained) {
              x.closeAfter();
            }
            fail(x, e);
          });
      return true;
    }
    BodyReader.read(
        request,
        bodyLimits,
        "admin API",
        lease,
        MAX_BODY,
        new BodyReader.Listener() {
          @Override
          public void onBody(RequestBytes body) {
            x.body(body);
            try {
              action.run(call);
            } catch (Exception e) {
              fail(x, e);
            }
          }

          @Override
          public void onRefused(BodyReader.Refusal r) {
            x.fail(r);
          }
        });
    return true;
  }

  /** Answers a refusal (or an internal error) after the body was read or thrown away. */
  private static void fail(JsonExchange x, Exception e) {
    if (e instanceof ApiError) {
      ApiError a = (ApiError) e;
      a.headers.forEach((k, v) -> x.response.getHeaders().put(k, v));
      x.fail(a.status, a.code, a.getMessage());
    } else if (e instanceof HsmException) {
      HsmException h = (HsmException) e;
      x.fail(ErrorResponse.httpStatus(h.code()), h.code(), h.detail());
    } else if (e instanceof JsonExchange.BadRequest) {
      x.fail(((JsonExchange.BadRequest) e).status, ResultCode.CKR_ARGUMENTS_BAD, e.getMessage());
    } else {
      LOG.warn("admin API {} {} failed", x.method, x.path, e);
      x.fail(500, ResultCode.CKR_GENERAL_ERROR, "internal error; see the member's log");
    }
  }

  /** A request admitted on its headers: its route and who made it. */
  private record Admitted(AdminRoutes.Match match, ApplianceUsers.Principal principal) {}

  /**
   * Checks what the headers say (origin, path, credentials, route, role) before any body is read.
   */
  private Admitted admit(JsonExchange x) {
    CrossOriginGuard.check(x.request);
    if (x.request.getHttpURI().getQuery() != null) {
      throw ApiError.badRequest("this API takes no query parameters");
    }
    String raw = x.request.getHttpURI().getPath();
    if (raw != null && raw.indexOf(';') >= 0) {
      throw ApiError.badRequest("this API takes no path parameters (';')");
    }
    String path = x.path;
    boolean needsLogin =
        path.equals("/api")
            || path.startsWith("/api/")
            || path.equals("/users")
            || path.startsWith("/users/");
    ApplianceUsers.Principal who = needsLogin ? authenticate(x.request) : null;
    AdminRoutes.Match m = routes.match(x.method, path);
    ApplianceRole need = m.route().role();
    if (need != null && who == null) {
      who = authenticate(x.request);
    }
    if (need != null && !who.role().covers(need)) {
      throw new ApiError(
          403,
          ResultCode.CKR_FUNCTION_REJECTED,
          "user '"
              + who.user()
              + "' has the "
              + who.role().wireName()
              + " role; "
              + m.route().method()
              + " "
              + m.route().template()
              + " needs the "
              + need.wireName()
              + " role");
    }
    return new Admitted(m, who);
  }

  // ------------------------------------------------------------------ authentication

  /** The user of a request: HTTP Basic first, else the session cookie; 401 otherwise. */
  ApplianceUsers.Principal authenticate(Request request) {
    String header = request.getHeaders().get(HttpHeader.AUTHORIZATION);
    if (header != null) {
      String[] basic = basicCredentials(header);
      return users.authenticate(basic[0], basic[1], source(request));
    }
    String id = sessionCookie(request);
    if (id != null) {
      String user = sessions.user(id).orElse(null);
      ApplianceRole role = user == null ? null : users.currentRole(user);
      if (role == null) {
        throw unauthorized("the session has expired or ended: log in again (POST /auth/session)");
      }
      return new ApplianceUsers.Principal(user, role);
    }
    throw unauthorized(
        "log in: send HTTP Basic credentials of an appliance user, or the session cookie from"
            + " POST /auth/session");
  }

  /** The address a request came from: password failures are counted per user and source. */
  static String source(Request request) {
    String a = Request.getRemoteAddr(request);
    return a == null ? "" : a;
  }

  /**
   * The appliance users changed under this member (replicated state): sessions of users deleted, or
   * whose password or role changed, end.
   */
  void usersChanged() {
    for (String user : users.reload()) {
      sessions.closeUser(user);
    }
  }

  private static String[] basicCredentials(String header) {
    int space = header.indexOf(' ');
    if (space < 0 || !header.substring(0, space).equalsIgnoreCase("Basic")) {
      throw unauthorized("only HTTP Basic authentication is accepted");
    }
    byte[] decoded;
    try {
      decoded = Base64.getDecoder().decode(header.substring(space + 1).trim());
    } catch (IllegalArgumentException e) {
      throw unauthorized("the Basic credentials are not valid Base64");
    }
    String text = new String(decoded, StandardCharsets.UTF_8);
    int colon = text.indexOf(':');
    if (colon <= 0) {
      throw unauthorized("the Basic credentials must be user:password");
    }
    return new String[] {text.substring(0, colon), text.substring(colon + 1)};
  }

  private static String sessionCookie(Request request) {
    List<HttpCookie> cookies;
    try {
      cookies = Request.getCookies(request);
    } catch (RuntimeException e) {
      throw unauthorized("the Cookie header cannot be read");
    }
    for (HttpCookie c : cookies) {
      if (AdminSessions.COOKIE.equals(c.getName())) {
        return c.getValue();
      }
    }
    return null;
  }

  static ApiError unauthorized(String message) {
    return new ApiError(
        401, ResultCode.CKR_USER_NOT_LOGGED_IN, message, Map.of("WWW-Authenticate", CHALLENGE));
  }

  private void login(AdminCall call) throws java.io.IOException {
    Request r = call.x.request;
    String header = r.getHeaders().get(HttpHeader.AUTHORIZATION);
    if (header == null) {
      throw unauthorized("POST /auth/session needs HTTP Basic credentials of an appliance user");
    }
    String[] basic = basicCredentials(header);
    ApplianceUsers.Principal who = users.authenticate(basic[0], basic[1], source(r));
    call.noBodyOrEmptyObject();
    String id = sessions.open(who.user());
    call.x
        .response
        .getHeaders()
        .add(
            HttpHeader.SET_COOKIE,
            AdminSessions.COOKIE + "=" + id + "; Path=/; Secure; HttpOnly; SameSite=Strict");
    call.x.noContent();
  }

  private void logout(AdminCall call) throws java.io.IOException {
    Request r = call.x.request;
    call.noBodyOrEmptyObject();
    String id = sessionCookie(r);
    if (id != null && sessions.close(id)) {
      call.x
          .response
          .getHeaders()
          .add(
              HttpHeader.SET_COOKIE,
              AdminSessions.COOKIE + "=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Strict");
      call.x.noContent();
      return;
    }
    if (r.getHeaders().get(HttpHeader.AUTHORIZATION) != null) {
      authenticate(r);
      call.x.noContent(); // Basic credentials: no session to end
      return;
    }
    throw unauthorized("no session to end: the cookie is missing, unknown or expired");
  }

  // ------------------------------------------------------------------ shared checks

  /** The cluster of this member; 404 when there is none. */
  ClusterRecord requireCluster() {
    return appliance
        .cluster()
        .orElseThrow(
            () ->
                ApiError.notFound(
                    "this member belongs to no cluster: create one (POST /api/clusters)"));
  }

  /** The cluster named by a path parameter: 400 when not a UUID, 404 when not this member's. */
  ClusterRecord requireCluster(String clusterId) {
    UUID id = uuid(clusterId, "clusterID");
    ClusterRecord c = requireCluster();
    if (!c.id().equals(id)) {
      throw ApiError.notFound("this member belongs to cluster " + c.id() + ", not to " + id);
    }
    return c;
  }

  static UUID uuid(String text, String what) {
    if (text == null || !UUID_TEXT.matcher(text).matches()) {
      throw ApiError.badRequest(what + " must be a UUID (8-4-4-4-12 hexadecimal digits)");
    }
    return UUID.fromString(text.toLowerCase(Locale.ROOT));
  }

  /** Refuses while the cluster service is stopped. */
  void requireRunning() {
    if (!state.running()) {
      throw ApiError.conflict(
          ResultCode.CKR_FUNCTION_FAILED,
          "the cluster service is stopped on this member: start it (POST"
              + " /api/lunasa/services/cluster/actions/start)");
    }
  }

  /**
   * Refuses keyring changes (and backups, restores) until the local member is authorized. A member
   * that lost its authorization in a crash first tries to take it from an active authorized member.
   */
  void requireAuthorized(ClusterRecord cluster) {
    ClusterServiceState.MemberRow m = state.member(cluster);
    if (m.authorized) {
      return;
    }
    ClusterNode node = member.node();
    if (m.authorizationLost && node != null && node.takeAuthorization(true)) {
      return;
    }
    throw ApiError.conflict(ResultCode.CKR_FUNCTION_FAILED, notAuthorized(cluster, m));
  }

  /**
   * Authorizes the local member with the partition CO's password (the {@code authorize} action).
   */
  ClusterServiceState.MemberRow authorizeLocalMember(ClusterRecord cluster, String coPassword) {
    appliance.hsm().authenticateCo(coPassword);
    return state.updateMember(
        cluster,
        row -> {
          row.authorized = true;
          row.authorizationLost = false;
          return row;
        });
  }

  /** Why this member refuses a change while it is not authorized, and how to authorize it. */
  String notAuthorized(ClusterRecord cluster, ClusterServiceState.MemberRow m) {
    return "member "
        + appliance.defaultMemberName()
        + " is not authorized on cluster '"
        + cluster.label()
        + "'"
        + (m.authorizationLost
            ? " (it lost its authorization when it started again after it failed, or with a new"
                + " cluster service version, and no other authorized member is active)"
            : "")
        + ": authorize it with the partition CO's credential (keyring-sim cluster member authorize"
        + " -memberid "
        + m.memberId
        + " -partition <label> -copassword <password>, or PUT /api/clusters/"
        + cluster.id()
        + "/members/"
        + m.memberId
        + " with action authorize)";
  }

  /**
   * The check the keyrings' object changes make (crypto API: create, generate, import, unwrap,
   * derive, copy, change, destroy): refused with CKR_FUNCTION_REJECTED while this member is not
   * authorized.
   */
  void requireAuthorizedForObjects() {
    if (state.authorized()) {
      return; // the common case, without a read of the store
    }
    java.util.Optional<ClusterRecord> c = appliance.cluster();
    if (c.isEmpty()) {
      return;
    }
    try {
      requireAuthorized(c.get());
    } catch (ApiError e) {
      throw new dev.keyring.protocol.HsmException(ResultCode.CKR_FUNCTION_REJECTED, e.getMessage());
    }
  }

  /** Stops the backup schedule's and restores' threads. */
  void close() {
    backups.close();
    lockouts.close();
  }

  /** The partition's label, or null. */
  String partitionLabel() {
    return appliance.hsm().partition().map(p -> p.label()).orElse(null);
  }

  /** The cluster view clients route by ({@code GET /v1/cluster} on the crypto API). */
  dev.keyring.protocol.wire.CryptoMessages.ClusterView clusterView() {
    ClusterRecord c =
        appliance
            .cluster()
            .orElseThrow(
                () ->
                    new dev.keyring.protocol.HsmException(
                        ResultCode.CKR_FUNCTION_FAILED, "this member belongs to no cluster"));
    ClusterNode node = member.node();
    if (node != null) {
      dev.keyring.sim.cluster.Membership ms = node.membership();
      java.util.List<dev.keyring.protocol.wire.CryptoMessages.ClusterMember> out =
          new java.util.ArrayList<>();
      for (dev.keyring.sim.cluster.Membership.Entry e : ms.members()) {
        String addr = e.cryptoAddress();
        int colon = addr.lastIndexOf(':');
        out.add(
            new dev.keyring.protocol.wire.CryptoMessages.ClusterMember(
                e.memberId(),
                e.name(),
                addr.substring(0, colon),
                Integer.parseInt(addr.substring(colon + 1)),
                e.group(),
                ms.isPrimary(e.memberId()),
                node.readOnly(e.memberId()),
                node.visible(e.memberId()),
                e.channelPort()));
      }
      return new dev.keyring.protocol.wire.CryptoMessages.ClusterView(
          c.id(), c.label(), ms.epoch(), ms.version(), out);
    }
    ClusterServiceState.MemberRow m = state.member(c);
    return new dev.keyring.protocol.wire.CryptoMessages.ClusterView(
        c.id(),
        c.label(),
        1,
        1,
        java.util.List.of(
            new dev.keyring.protocol.wire.CryptoMessages.ClusterMember(
                m.memberId,
                appliance.defaultMemberName(),
                member.config().bindAddress(),
                member.cryptoPort(),
                m.group,
                m.primary,
                !(m.primary && state.running()),
                true,
                Math.max(0, member.advertisedChannelPort()))));
  }
}
