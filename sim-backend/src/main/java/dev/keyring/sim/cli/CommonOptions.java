package dev.keyring.sim.cli;

import dev.keyring.protocol.cli.Secrets;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/** Options many administration commands take, each with the check or prompt that goes with it. */
final class CommonOptions {
  private CommonOptions() {}

  /** {@code -partition LABEL}, required. */
  static final class Partition {
    @Option(
        names = {"-partition", "--partition"},
        required = true,
        paramLabel = "LABEL",
        description = "The partition's label.")
    String value;

    /** The label, checked (exit code 2 when it is not a label). */
    String label() {
      return AdminCommand.label(value, "-partition");
    }
  }

  /** {@code -serial SN}, required: a connected backup HSM's serial number. */
  static final class BackupSerial {
    @Option(
        names = {"-serial", "--serial"},
        required = true,
        paramLabel = "SN",
        description = "The backup HSM's serial number (token backup list).")
    String value;

    /** The serial, checked (exit code 2 when it cannot be one). */
    String checked() {
      return TokenCommand.serial(value);
    }
  }

  /** {@code -memberid ID}, required: a member's ID or name. */
  static final class MemberId {
    @Option(
        names = {"-memberid", "--memberid"},
        required = true,
        paramLabel = "ID",
        description = "The member's ID (or name).")
    String value;

    /** The ID or name, checked (exit code 2 when it is neither). */
    String id() {
      return AdminCommand.idOrLabel(value, "-memberid");
    }
  }

  /** {@code -copassword}: the partition CO's password, asked for when absent. */
  static final class CoPassword {
    @Option(
        names = {"-copassword", "--copassword"},
        paramLabel = "CO_PASSWORD",
        description = "The partition CO's password (asked for when absent).")
    String value;

    /** The password given, else the one typed on the console. */
    String get() {
      return Secrets.of(value, "-copassword", "the partition CO's password");
    }

    /** The CO's credential for the partition of the member the command talks to. */
    List<Map<String, String>> credential() {
      return AdminCommand.credential("CO", get(), null);
    }
  }

  /** {@code -popassword}: the partition PO's password, asked for when absent. */
  static final class PoPassword {
    @Option(
        names = {"-popassword", "--popassword"},
        paramLabel = "PO_PASSWORD",
        description = "The PO's password (asked for when absent).")
    String value;

    /** The password given, else the one typed on the console. */
    String get() {
      return Secrets.of(value, "-popassword", "the partition PO's password");
    }
  }
}
