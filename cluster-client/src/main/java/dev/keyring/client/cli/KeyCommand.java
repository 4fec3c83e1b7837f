package dev.keyring.client.cli;

import dev.keyring.client.KeyringClient;
import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.KeyringKeyPair;
import dev.keyring.client.api.KeyringObject;
import dev.keyring.client.api.Slot;
import dev.keyring.client.api.TransportException;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.Curve;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.Role;
import dev.keyring.protocol.cli.CliException;
import dev.keyring.protocol.cli.CommandGroup;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code key generate}: a key pair or secret key made on a keyring. */
@Command(
    name = "key",
    mixinStandardHelpOptions = true,
    description = "Keys on a keyring.",
    subcommands = {KeyCommand.Generate.class})
final class KeyCommand extends CommandGroup {

  @Command(
      name = "generate",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = {
        "Generates a key on a slot as its crypto officer: an RSA or EC key pair, or an AES key.",
        "Its private or secret part never leaves the HSM; the handles are printed."
      })
  static final class Generate extends SlotLoginCommand {
    @Option(
        names = {"-type", "--type"},
        required = true,
        paramLabel = "rsa|ec|aes",
        description = "The key type.")
    String type;

    @Option(
        names = {"-bits", "--bits"},
        paramLabel = "N",
        description = "RSA modulus (2048, 3072, 4096; default 2048) or AES key bits (default 256).")
    Integer bits;

    @Option(
        names = {"-curve", "--curve"},
        paramLabel = "CURVE",
        defaultValue = "P-256",
        description = "EC curve: P-256, P-384, P-521 or Ed25519 (default: ${DEFAULT-VALUE}).")
    String curve;

    @Option(
        names = {"-label", "--label"},
        paramLabel = "LABEL",
        description = "The label of the new key (both halves of a pair).")
    String label;

    private KeyGenParams params;
    private String secret;

    @Override
    void prepare() {
      try {
        switch (type.toLowerCase(Locale.ROOT)) {
          case "rsa":
            params = KeyGenParams.rsa(bits == null ? 2048 : bits);
            break;
          case "ec":
            if (bits != null) {
              throw new CliException(2, "-bits is for rsa and aes; give -curve for ec");
            }
            params = KeyGenParams.ec(Curve.parse(curve));
            break;
          case "aes":
            params = KeyGenParams.aes(bits == null ? 256 : bits);
            break;
          default:
            throw new CliException(2, "-type must be rsa, ec or aes, got '" + type + "'");
        }
      } catch (HsmException e) {
        throw new CliException(2, e.detail());
      }
      if (label != null && (label.isEmpty() || label.length() > 64)) {
        throw new CliException(2, "-label must be 1 to 64 characters");
      }
      secret = password("the crypto officer's password");
    }

    @Override
    void run(KeyringClient kc) throws TransportException {
      Slot slot = slot(kc, slotName);
      Attributes template =
          label == null ? Attributes.empty() : Attributes.builder().label(label).build();
      try (KeyringChannel s = login(kc, slot, Role.KRCO, secret)) {
        if (params.keyType().isSecret()) {
          KeyringObject k = s.generateKey(params, template);
          out().println("Generated " + params + " key on slot " + slot.label() + ":");
          out().println("\tSecret key handle:  " + k.handle());
        } else {
          KeyringKeyPair kp = s.generateKeyPair(params, template, template);
          out().println("Generated " + params + " key pair on slot " + slot.label() + ":");
          out().println("\tPublic key handle:  " + kp.publicKey().handle());
          out().println("\tPrivate key handle: " + kp.privateKey().handle());
        }
        s.logout();
      }
    }
  }
}
