package dev.keyring.client.cli;

import dev.keyring.client.KeyringClient;
import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.KeyringOperation;
import dev.keyring.client.api.Slot;
import dev.keyring.client.api.TransportException;
import dev.keyring.protocol.Digest;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.Role;
import dev.keyring.protocol.cli.CliException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sign} and {@code verify}: a file signed with a key on a keyring, streamed in parts so its
 * size does not matter.
 */
final class SignCommand {
  private SignCommand() {}

  /** The options both commands share. */
  abstract static class KeyOperation extends SlotLoginCommand {
    @Option(
        names = {"-key", "--key"},
        required = true,
        paramLabel = "HANDLE",
        description = "The key's handle (see partition contents).")
    long key;

    @Option(
        names = {"-mechanism", "--mechanism"},
        required = true,
        paramLabel = "MECHANISM",
        description =
            "A signing mechanism: CKM_SHA256_RSA_PKCS, CKM_SHA256_RSA_PKCS_PSS, CKM_ECDSA_SHA256,"
                + " CKM_EDDSA, ... (SHA-384 and SHA-512 variants too).")
    String mechanismName;

    @Option(
        names = {"-in", "--in"},
        required = true,
        paramLabel = "FILE",
        description = "The data to sign or verify.")
    Path in;

    Mechanism mechanism;
    MechanismParams params;
    String secret;

    @Override
    void prepare() {
      try {
        mechanism = Mechanism.parse(mechanismName);
      } catch (HsmException e) {
        throw new CliException(
            2,
            "-mechanism "
                + mechanismName
                + " is not a mechanism keyrings support; give a signing mechanism such as"
                + " CKM_ECDSA_SHA256 or CKM_SHA256_RSA_PKCS (see --help)");
      }
      if (mechanism.use() != Mechanism.Use.SIGN) {
        throw new CliException(2, "-mechanism " + mechanism + " is not a signing mechanism");
      }
      Digest d = mechanism.digest();
      params =
          mechanism.name().endsWith("_PSS")
              ? new MechanismParams.Pss(d, d, d.length())
              : MechanismParams.NONE;
      if (!Files.isReadable(in)) {
        throw new CliException(2, "-in " + in + " cannot be read");
      }
      secret = password("the crypto officer's password");
    }

    /** Streams {@code -in} through a multi-part operation of {@code kind}. */
    KeyringOperation feed(KeyringChannel s, KeyringOperation.Kind kind) throws TransportException {
      KeyringOperation op = s.startOperation(kind, key, mechanism, params);
      byte[] buf = new byte[KeyringOperation.PART_BYTES];
      try (InputStream is = Files.newInputStream(in)) {
        int n;
        while ((n = is.readNBytes(buf, 0, buf.length)) > 0) {
          op.update(buf, 0, n);
        }
      } catch (IOException e) {
        throw new CliException(2, "-in " + in + " cannot be read: " + e.getMessage());
      }
      return op;
    }
  }

  @Command(
      name = "sign",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = "Signs a file with a private key on a slot; writes the signature's bytes.")
  static final class Sign extends KeyOperation {
    @Option(
        names = {"-out", "--out"},
        required = true,
        paramLabel = "FILE",
        description = "Where the signature goes (replaced if it exists).")
    Path out;

    @Override
    void run(KeyringClient kc) throws TransportException {
      Slot slot = slot(kc, slotName);
      byte[] signature;
      try (KeyringChannel s = login(kc, slot, Role.KRCO, secret)) {
        signature = feed(s, KeyringOperation.Kind.SIGN).finish();
        s.logout();
      }
      try {
        Files.write(out, signature);
      } catch (IOException e) {
        throw new CliException(2, "-out " + out + " cannot be written: " + e.getMessage());
      }
      out()
          .println(
              "Signed "
                  + in
                  + " with key "
                  + key
                  + " ("
                  + mechanism
                  + "): "
                  + signature.length
                  + " bytes written to "
                  + out);
    }
  }

  @Command(
      name = "verify",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description =
          "Verifies a signature of a file with a public key on a slot; exit code 1"
              + " (CKR_SIGNATURE_INVALID) when it is not valid.")
  static final class Verify extends KeyOperation {
    @Option(
        names = {"-signature", "--signature"},
        required = true,
        paramLabel = "FILE",
        description = "The signature's bytes.")
    Path signatureFile;

    @Override
    void run(KeyringClient kc) throws TransportException {
      byte[] signature;
      try {
        signature = Files.readAllBytes(signatureFile);
      } catch (IOException e) {
        throw new CliException(2, "-signature " + signatureFile + " cannot be read");
      }
      Slot slot = slot(kc, slotName);
      boolean valid;
      try (KeyringChannel s = login(kc, slot, Role.KRCO, secret)) {
        valid = feed(s, KeyringOperation.Kind.VERIFY).finishVerify(signature);
        s.logout();
      }
      if (!valid) {
        throw new HsmException(
            dev.keyring.protocol.ResultCode.CKR_SIGNATURE_INVALID,
            "the signature in " + signatureFile + " does not match " + in + " under key " + key);
      }
      out().println("The signature is valid (" + mechanism + ", key " + key + ").");
    }
  }
}
