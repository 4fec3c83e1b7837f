package dev.keyring.client.cli;

import dev.keyring.protocol.cli.Secrets;
import picocli.CommandLine.Option;

/**
 * A command that logs in on one slot with the keyring's password: {@code -slot} and {@code
 * -password} (asked for when absent).
 */
abstract class SlotLoginCommand extends OnSlotCommand {
  @Option(
      names = {"-password", "--password"},
      paramLabel = "PASSWORD",
      description = "The keyring's password, which its roles share (asked for when absent).")
  String password;

  /**
   * The password given with {@code -password}, else the one typed on the console.
   *
   * @param whose whose password it is, for the prompt ("the crypto officer's password")
   */
  String password(String whose) {
    return Secrets.of(password, "-password", whose);
  }
}
