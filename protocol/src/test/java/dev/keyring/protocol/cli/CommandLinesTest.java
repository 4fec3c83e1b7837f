package dev.keyring.protocol.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

class CommandLinesTest {
  @Command(
      name = "tool",
      subcommands = {Login.class, Group.class, Sign.class})
  static final class Tool extends CommandGroup {}

  @Command(name = "group")
  static final class Group extends CommandGroup {}

  @Command(name = "login")
  static final class Login implements Runnable {
    @Option(names = "-password")
    String password;

    @Option(names = "-pinpw")
    int pin;

    @Option(names = "-fail")
    String fail;

    @Override
    public void run() {
      switch (String.valueOf(fail)) {
        case "cli" -> throw new CliException(CommandLines.UNREACHABLE, "no member");
        case "hsm" -> throw new HsmException(ResultCode.CKR_PIN_INCORRECT, "wrong password");
        case "io" -> throw new UncheckedIOException("disk", new java.io.IOException("full"));
        default -> {}
      }
    }
  }

  @Command(name = "sign")
  static final class Sign implements Runnable {
    @Option(names = "-key", required = true)
    long key;

    @Option(names = "-password")
    String password;

    @Override
    public void run() {}
  }

  private record Run(int exit, String out, String err) {}

  private static Run run(CommandLines.FailureReport extra, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl =
        extra == null
            ? CommandLines.withFailureReports(new CommandLine(new Tool()))
            : CommandLines.withFailureReports(new CommandLine(new Tool()), extra);
    int exit = CommandLines.execute(cl, new PrintWriter(out), new PrintWriter(err), args);
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void anUnknownOption_isNamed_evenWhenARequiredOneIsMissing() {
    Run r = run(null, "sign", "-label", "k1", "-password", "s3cret-value");
    assertEquals(CommandLines.BAD_INPUT, r.exit());
    assertTrue(r.err().startsWith("error: unknown or unexpected argument(s): '-label'"), r.err());
    assertTrue(r.err().contains("missing required option: '-key=<key>'"), r.err());
    assertFalse(r.err().contains("s3cret-value"), r.err());
  }

  @Test
  void done_exitsWithZero() {
    assertEquals(CommandLines.OK, run(null, "login", "-password", "x-1234567").exit());
  }

  @Test
  void aCliException_printsItsMessage_andExitsWithItsCode() {
    Run r = run(null, "login", "-fail", "cli");
    assertEquals(CommandLines.UNREACHABLE, r.exit());
    assertEquals("error: no member", r.err().strip());
  }

  @Test
  void anHsmException_printsItsCodeAndDetail_andExitsWithRefused() {
    Run r = run(null, "login", "-fail", "hsm");
    assertEquals(CommandLines.REFUSED, r.exit());
    assertEquals("CKR_PIN_INCORRECT: wrong password", r.err().strip());
  }

  @Test
  void anotherFailure_goesToTheExtraReports_elseIsRethrown() {
    Run r =
        run(
            (e, err) -> {
              if (!(e instanceof UncheckedIOException)) {
                return null;
              }
              err.println("error: " + e.getMessage());
              return CommandLines.UNREACHABLE;
            },
            "login",
            "-fail",
            "io");
    assertEquals(CommandLines.UNREACHABLE, r.exit());
    assertTrue(r.err().contains("error: disk"), r.err());
    Run unknown = run((e, err) -> null, "login", "-fail", "io");
    assertFalse(unknown.err().contains("error: disk"), unknown.err());
    assertTrue(unknown.err().contains("UncheckedIOException"), "picocli reports it:\n" + unknown);
  }

  @Test
  void badUsage_neverEchoesAPassword_andExitsWithBadInput() {
    Run r = run(null, "login", "-password", "hunter2-secret", "-pasword", "hunter3-secret");
    assertEquals(CommandLines.BAD_INPUT, r.exit());
    assertFalse(r.err().contains("hunter2-secret"), r.err());
    assertFalse(r.err().contains("hunter3-secret"), r.err());
    assertTrue(r.err().startsWith("error: unknown or unexpected argument(s): '-pasword'"), r.err());
  }

  @Test
  void badUsage_masksAPasswordThatTheParserEchoes_andPointsToTheHelp() {
    Run r = run(null, "login", "-pinpw", "not-a-number-secret");
    assertEquals(CommandLines.BAD_INPUT, r.exit());
    assertFalse(r.err().contains("not-a-number-secret"), r.err());
    assertTrue(r.err().contains("'****'"), r.err());
    assertTrue(r.err().contains("Try 'tool login --help' for usage."), r.err());
  }

  @Test
  void aGroupWithoutASubcommand_printsItsUsage_andExitsWithBadInput() {
    Run r = run(null, "group");
    assertEquals(CommandLines.BAD_INPUT, r.exit());
    assertTrue(r.err().contains("Usage: tool group"), r.err());
    assertTrue(r.err().contains("error: 'tool group' needs a subcommand"), r.err());
  }
}
