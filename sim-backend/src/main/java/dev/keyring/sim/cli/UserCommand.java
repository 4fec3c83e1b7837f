package dev.keyring.sim.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyring.protocol.cli.CliException;
import dev.keyring.protocol.cli.CommandGroup;
import dev.keyring.protocol.cli.Secrets;
import dev.keyring.protocol.cli.Table;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code user list|add|password}: the appliance users of the admin API. */
@Command(
    name = "user",
    mixinStandardHelpOptions = true,
    description =
        "Appliance users (admin, operator, monitor roles): list, add, set a password. Setting the"
            + " password of the built-in operator or monitor enables it.",
    subcommands = {UserCommand.ListUsers.class, UserCommand.Add.class, UserCommand.Password.class})
final class UserCommand extends CommandGroup {
  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_.-]{0,31}");

  static String name(String value) {
    if (!NAME.matcher(value).matches()) {
      throw new CliException(
          2,
          "a user name is 1 to 32 lowercase letters, digits, '_', '.' or '-', starting with a"
              + " letter");
    }
    return value;
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = "Lists the appliance users (GET /users), as an admin.")
  static final class ListUsers extends AdminCommand {
    @Override
    void run(AdminConnection c) {
      Table t = new Table("User", "Role", "Enabled");
      for (JsonNode u : list(c.get("/users"))) {
        t.row(text(u.path("userId")), text(u.path("role")), text(u.path("enabled")));
      }
      t.print(out());
    }
  }

  @Command(
      name = "add",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = "Adds an appliance user (POST /users), as an admin.")
  static final class Add extends AdminCommand {
    @Option(
        names = {"-username", "--username", "-userid", "--userid"},
        required = true,
        paramLabel = "NAME",
        description = "The new user's name.")
    String userName;

    @Option(
        names = {"-role", "--role"},
        required = true,
        paramLabel = "ROLE",
        description = "admin, operator or monitor.")
    String role;

    @Option(
        names = {"-password", "--password"},
        paramLabel = "PASSWORD",
        description = "The new user's password (asked for when absent).")
    String password;

    @Override
    void run(AdminConnection c) {
      name(userName);
      if (!role.equals("admin") && !role.equals("operator") && !role.equals("monitor")) {
        throw new CliException(2, "-role must be admin, operator or monitor");
      }
      String pw = Secrets.of(password, "-password", "the new user's password");
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("userId", userName);
      body.put("role", role);
      body.put("password", pw);
      JsonNode u = c.send("POST", "/users", body);
      out()
          .println(
              "user '" + u.path("userId").asText() + "' added (" + u.path("role").asText() + ")");
    }
  }

  @Command(
      name = "password",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = {
        "Sets a user's password (PATCH /users/{name}). An admin sets anyone's; other users set"
            + " their own with -oldpw."
      })
  static final class Password extends AdminCommand {
    @Option(
        names = {"-username", "--username", "-userid", "--userid"},
        required = true,
        paramLabel = "NAME",
        description = "The user's name.")
    String userName;

    @Option(
        names = {"-newpw", "--newpw", "-password", "--password"},
        paramLabel = "PASSWORD",
        description = "The new password (asked for when absent).")
    String newPassword;

    @Option(
        names = {"-oldpw", "--oldpw"},
        paramLabel = "PASSWORD",
        description = "The current password, when changing one's own as a non-admin.")
    String oldPassword;

    @Override
    void run(AdminConnection c) {
      name(userName);
      String pw = Secrets.of(newPassword, "-newpw", "the new password");
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("password", pw);
      if (oldPassword != null) {
        body.put("oldPassword", oldPassword);
      }
      c.send("PATCH", "/users/" + userName, body);
      out().println("password of user '" + userName + "' set");
    }
  }
}
