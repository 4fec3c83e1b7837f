package dev.keyring.e2e.client;

import dev.keyring.client.registration.RegisterCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;

/** One run of {@code keyring-register} with captured output. */
public record RegisterRun(int exitCode, String out, String err) {
  /** Runs the command with {@code env} as its whole environment. */
  public static RegisterRun run(Map<String, String> env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = RegisterCommand.run(new PrintWriter(out), new PrintWriter(err), env, args);
    return new RegisterRun(code, out.toString(), err.toString());
  }

  @Override
  public String toString() {
    return "exit " + exitCode + "\n--- out\n" + out + "--- err\n" + err;
  }
}
