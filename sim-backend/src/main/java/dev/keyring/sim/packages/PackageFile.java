package dev.keyring.sim.packages;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A simulated package file, as {@code POST /api/lunasa/packageFiles} takes it: five ASCII lines
 *
 * <pre>
 * keyring-package 1
 * name cluster_service
 * version 104-00002
 * arch x86_64
 * signature BASE64
 * </pre>
 *
 * where the signature is Ed25519 over every byte before the {@code signature} line, made with the
 * project's package signing key. Its public half is built into the member ({@link #SIGNING_KEY});
 * the test support of the project signs packages with the private half. It stands for the vendor
 * signature of a real appliance's secure packages and protects nothing secret: it only lets the
 * member tell a package built for it from a corrupt, unsigned or foreign file.
 */
public final class PackageFile {
  /** The largest package file accepted, in bytes. */
  public static final int MAX_BYTES = 4096;

  /** The one package this simulated appliance knows: its cluster service. */
  public static final String CLUSTER_SERVICE = "cluster_service";

  /** The architecture in package names. */
  public static final String ARCH = "x86_64";

  /** The names of the packages that can be installed. */
  public static final Set<String> KNOWN = Set.of(CLUSTER_SERVICE);

  /** A version: three digits, a dash, five digits, as in {@code cluster_service-104-00002}. */
  public static final Pattern VERSION = Pattern.compile("[0-9]{3}-[0-9]{5}");

  /** The public half of the project's package signing key (Ed25519, X.509 encoding, base64). */
  public static final String SIGNING_KEY =
      "MCowBQYDK2VwAyEAJlzUXucFFrqY5DTBfn9L8ezlIeQCb/CLdhdKvmGlXig=";

  private static final String MAGIC = "keyring-package 1";

  private final String name;
  private final String version;

  private PackageFile(String name, String version) {
    this.name = name;
    this.version = version;
  }

  /** Why a file is not an installable package; the message says what is wrong. */
  public static final class RefusedPackage extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    RefusedPackage(String message) {
      super(message);
    }
  }

  public String name() {
    return name;
  }

  public String version() {
    return version;
  }

  /** The installed package's name as a package list shows it. */
  public static String fullName(String name, String version) {
    return name + "-" + version + "." + ARCH;
  }

  /**
   * Reads and checks a package file: its format, its signature by the project's key, the package
   * name (a known package) and the version.
   *
   * @throws RefusedPackage with the reason when the file is not an installable package
   */
  public static PackageFile verify(byte[] file) {
    if (file == null || file.length == 0) {
      throw new RefusedPackage("the package file is empty");
    }
    if (file.length > MAX_BYTES) {
      throw new RefusedPackage(
          "the package file is " + file.length + " bytes; at most " + MAX_BYTES + " are accepted");
    }
    for (byte b : file) {
      if (b != '\n' && (b < 0x20 || b > 0x7e)) {
        throw new RefusedPackage("the package file is corrupt: it is not the package text format");
      }
    }
    String text = new String(file, StandardCharsets.US_ASCII);
    int sig = text.lastIndexOf("\nsignature ");
    String head = sig < 0 ? text : text.substring(0, sig + 1);
    String[] lines = head.split("\n", -1);
    if (lines.length != 5 || !MAGIC.equals(lines[0]) || !lines[4].isEmpty()) {
      throw new RefusedPackage(
          "the package file is corrupt: expected the lines 'keyring-package 1', 'name',"
              + " 'version', 'arch' and 'signature'");
    }
    String name = field(lines[1], "name");
    String version = field(lines[2], "version");
    String arch = field(lines[3], "arch");
    if (sig < 0) {
      throw new RefusedPackage("the package file is not signed: it has no 'signature' line");
    }
    String signatureLine = text.substring(sig + 1);
    if (signatureLine.endsWith("\n")) {
      signatureLine = signatureLine.substring(0, signatureLine.length() - 1);
    }
    byte[] signature;
    try {
      signature = Base64.getDecoder().decode(field(signatureLine, "signature"));
    } catch (IllegalArgumentException e) {
      throw new RefusedPackage("the package file is corrupt: its signature is not base64");
    }
    if (!signedByProject(head.getBytes(StandardCharsets.US_ASCII), signature)) {
      throw new RefusedPackage(
          "the package file's signature does not verify with the project's package signing key:"
              + " it was changed, or signed by another key");
    }
    if (!KNOWN.contains(name)) {
      throw new RefusedPackage(
          "'" + name + "' is not a known package: this appliance installs " + KNOWN);
    }
    if (!VERSION.matcher(version).matches()) {
      throw new RefusedPackage("version must be ###-##### (e.g. 104-00002), got '" + version + "'");
    }
    if (!ARCH.equals(arch)) {
      throw new RefusedPackage("the package is for " + arch + "; this appliance is " + ARCH);
    }
    return new PackageFile(name, version);
  }

  private static String field(String line, String key) {
    if (!line.startsWith(key + " ") || line.length() == key.length() + 1) {
      throw new RefusedPackage("the package file is corrupt: expected a '" + key + "' line");
    }
    return line.substring(key.length() + 1);
  }

  private static boolean signedByProject(byte[] data, byte[] signature) {
    try {
      PublicKey key =
          KeyFactory.getInstance("Ed25519")
              .generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(SIGNING_KEY)));
      Signature v = Signature.getInstance("Ed25519");
      v.initVerify(key);
      v.update(data);
      return v.verify(signature);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      return false;
    }
  }
}
