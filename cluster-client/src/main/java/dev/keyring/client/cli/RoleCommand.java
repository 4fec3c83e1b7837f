package dev.keyring.client.cli;

import dev.keyring.client.KeyringClient;
import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.Slot;
import dev.keyring.client.api.TransportException;
import dev.keyring.protocol.Role;
import dev.keyring.protocol.cli.CliException;
import dev.keyring.protocol.cli.CommandGroup;
import dev.keyring.protocol.cli.Secrets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code role login|changepw|init}: the keyring roles. The keyring SO (po) holds the initial
 * password, must change it, then initializes the crypto officer (co) with the same password.
 */
@Command(
    name = "role",
    mixinStandardHelpOptions = true,
    description = {
      "The keyring roles: po (keyring SO, holds the initial password) and co (keyring crypto"
          + " officer, uses keys). They share one password.",
      "Each command logs in, does its work and logs out: a login does not outlast the command."
    },
    subcommands = {RoleCommand.Login.class, RoleCommand.ChangePw.class, RoleCommand.Init.class})
final class RoleCommand extends CommandGroup {

  @Command(
      name = "login",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = "Checks a role's login on a slot (logs in, then out).")
  static final class Login extends SlotLoginCommand {
    @Option(
        names = {"-name", "--name"},
        required = true,
        paramLabel = "po|co",
        description = "The role.")
    String name;

    private Role role;
    private String secret;

    @Override
    void prepare() {
      role = role(name);
      secret = password("the keyring's password");
    }

    @Override
    void run(KeyringClient kc) throws TransportException {
      Slot slot = slot(kc, slotName);
      try (KeyringChannel s = login(kc, slot, role, secret)) {
        out()
            .println(
                "Logged in as the "
                    + roleName(role)
                    + " on slot "
                    + slot.slotId()
                    + " ("
                    + slot.label()
                    + ").");
        if (role == Role.KRSO && slot.passwordChangeRequired()) {
          out()
              .println(
                  "The initial password must be changed before anything else: role changepw -name"
                      + " po.");
        }
        s.logout();
      }
    }
  }

  @Command(
      name = "changepw",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = {
        "Changes the keyring's password (shared by po and co): logs in with the old one, sets"
            + " the new one.",
        "The keyring SO must do it once after the keyring is created."
      })
  static final class ChangePw extends OnSlotCommand {
    @Option(
        names = {"-name", "--name"},
        required = true,
        paramLabel = "po|co",
        description = "The role that changes it.")
    String name;

    @Option(
        names = {"-oldpw", "--oldpw", "-password", "--password"},
        paramLabel = "PASSWORD",
        description = "The current password (asked for when absent).")
    String oldPassword;

    @Option(
        names = {"-newpw", "--newpw"},
        paramLabel = "PASSWORD",
        description = "The new password (asked for when absent).")
    String newPassword;

    private Role role;
    private String current;
    private String next;

    @Override
    void prepare() {
      role = role(name);
      current = Secrets.of(oldPassword, "-oldpw", "the keyring's current password");
      next = Secrets.of(newPassword, "-newpw", "the keyring's new password");
    }

    @Override
    void run(KeyringClient kc) throws TransportException {
      Slot slot = slot(kc, slotName);
      try (KeyringChannel s = login(kc, slot, role, current)) {
        s.changePassword(current, next);
        s.logout();
      }
      out()
          .println(
              "Password of slot "
                  + slot.slotId()
                  + " ("
                  + slot.label()
                  + ") changed by the "
                  + roleName(role)
                  + ".");
      if (next.length() <= 16) {
        out()
            .println(
                "With 16 characters or fewer, 10 failed logins lock the keyring; 17 or more never do.");
      }
    }
  }

  @Command(
      name = "init",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = {
        "Initializes the keyring crypto officer (co), as the keyring SO, with the keyring's"
            + " password (the roles share it)."
      })
  static final class Init extends OnSlotCommand {
    @Option(
        names = {"-name", "--name"},
        required = true,
        paramLabel = "co",
        description = "The role to initialize: co.")
    String name;

    @Option(
        names = {"-sopassword", "--sopassword"},
        paramLabel = "PASSWORD",
        description = "The keyring SO's password (asked for when absent).")
    String soPassword;

    @Option(
        names = {"-password", "--password"},
        paramLabel = "PASSWORD",
        description = "The crypto officer's password: the same (default: -sopassword).")
    String password;

    private String so;
    private String co;

    @Override
    void prepare() {
      if (role(name) != Role.KRCO) {
        throw new CliException(
            2, "-name must be co: the keyring SO (po) is set up when the keyring is created");
      }
      so = Secrets.of(soPassword, "-sopassword", "the keyring SO's password");
      co = password != null ? Secrets.of(password, "-password", "the password") : so;
    }

    @Override
    void run(KeyringClient kc) throws TransportException {
      Slot slot = slot(kc, slotName);
      try (KeyringChannel s = login(kc, slot, Role.KRSO, so)) {
        s.initKrco(co);
        s.logout();
      }
      out()
          .println(
              "The crypto officer (co) of slot "
                  + slot.slotId()
                  + " ("
                  + slot.label()
                  + ") is initialized.");
    }
  }
}
