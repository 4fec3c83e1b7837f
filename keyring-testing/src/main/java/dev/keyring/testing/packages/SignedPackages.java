package dev.keyring.testing.packages;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;

/**
 * Builds the simulated package files a member's {@code POST /api/lunasa/packageFiles} takes (the
 * format is described in sim-backend's {@code dev.keyring.sim.packages.PackageFile}): five ASCII
 * lines, the last an Ed25519 signature of the others.
 *
 * <p>{@link #PROJECT_KEY} is the private half of the project's package signing key, whose public
 * half is built into the simulated member. It is test support of this project: it signs the
 * simulator's pretend software and protects nothing; it is no key of a real appliance or vendor.
 */
public final class SignedPackages {
  /** The project's package signing key (Ed25519, PKCS#8, base64). */
  public static final String PROJECT_KEY =
      "MC4CAQAwBQYDK2VwBCIEIARs42XbX8uPqVsVho2o1oNkPNzcFcGMs1HCYbyDEnuV";

  /** The cluster service package's name. */
  public static final String CLUSTER_SERVICE = "cluster_service";

  /** The cluster service version of a new member. */
  public static final String FACTORY_VERSION = "104-00001";

  private SignedPackages() {}

  /** The package text before its signature line. */
  public static String unsigned(String name, String version) {
    return "keyring-package 1\nname " + name + "\nversion " + version + "\narch x86_64\n";
  }

  /** A cluster service package of {@code version}, signed by the project's key. */
  public static byte[] clusterService(String version) {
    return signed(CLUSTER_SERVICE, version, projectKey());
  }

  /** A package signed by {@code key} (Ed25519). */
  public static byte[] signed(String name, String version, PrivateKey key) {
    String head = unsigned(name, version);
    try {
      Signature s = Signature.getInstance("Ed25519");
      s.initSign(key);
      s.update(head.getBytes(StandardCharsets.US_ASCII));
      String sig = Base64.getEncoder().encodeToString(s.sign());
      return (head + "signature " + sig + "\n").getBytes(StandardCharsets.US_ASCII);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign a package", e);
    }
  }

  /** The project's package signing key. */
  public static PrivateKey projectKey() {
    try {
      return KeyFactory.getInstance("Ed25519")
          .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(PROJECT_KEY)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the project's package signing key cannot be read", e);
    }
  }

  /** The name a package list shows for a cluster service version. */
  public static String clusterServicePackage(String version) {
    return CLUSTER_SERVICE + "-" + version + ".x86_64";
  }
}
