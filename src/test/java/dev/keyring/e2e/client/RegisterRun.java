package dev.keyring.e2e.client;

import dev.keyring.client.registration.RegisterCommand;
import dev.keyring.testing.cli.CliRun;
import java.util.Map;

/** One run of {@code keyring-register} with captured output. */
public record RegisterRun(int exitCode, String out, String err) {
  /** Runs the command with {@code env} as its whole environment. */
  public static RegisterRun run(Map<String, String> env, String... args) {
    CliRun r = CliRun.run(RegisterCommand::run, env, args);
    return new RegisterRun(r.exit(), r.out(), r.err());
  }

  @Override
  public String toString() {
    return "exit " + exitCode + "\n--- out\n" + out + "--- err\n" + err;
  }
}
