package dev.keyring.sim.hsm;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.PKCS5S2ParametersGenerator;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * Makes and checks password verifiers with PBKDF2-HMAC-SHA256 (over the UTF-8 password). A verifier
 * is {@code pbkdf2-sha256$<iterations>$<salt>$<hash>} (Base64); it records its own cost, so raising
 * the cost later does not invalidate stored verifiers. Passwords themselves are never stored.
 */
public final class PasswordHasher {
  /** The default cost: 310,000 iterations (about 0.1 to 0.3 s per check on one core). */
  public static final int DEFAULT_ITERATIONS = 310_000;

  /** The lowest cost accepted, for tests that make many logins. */
  public static final int MIN_ITERATIONS = 1_000;

  private static final int MAX_ITERATIONS = 10_000_000;
  private static final String SCHEME = "pbkdf2-sha256";
  private final int iterations;
  private final SecureRandom random = new SecureRandom();

  public PasswordHasher(int iterations) {
    if (iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) {
      throw new IllegalArgumentException(
          "kdfIterations must be between " + MIN_ITERATIONS + " and 10000000, got " + iterations);
    }
    this.iterations = iterations;
  }

  public int iterations() {
    return iterations;
  }

  /** A new verifier for {@code password}, with a fresh random salt. */
  public String hash(String password) {
    byte[] salt = new byte[16];
    random.nextBytes(salt);
    return verifier(salt, derive(password, salt, iterations));
  }

  /**
   * A verifier of this hasher's cost that no password matches: a random salt and a random hash,
   * made without deriving anything. Checking a password against it costs what a real check costs,
   * for the checks of names that have no verifier.
   */
  public String decoy() {
    byte[] salt = new byte[16];
    byte[] h = new byte[32];
    random.nextBytes(salt);
    random.nextBytes(h);
    return verifier(salt, h);
  }

  private String verifier(byte[] salt, byte[] hash) {
    Base64.Encoder b64 = Base64.getEncoder().withoutPadding();
    return SCHEME
        + "$"
        + iterations
        + "$"
        + b64.encodeToString(salt)
        + "$"
        + b64.encodeToString(hash);
  }

  /** Whether {@code password} matches {@code verifier}; compares in constant time. */
  public boolean verify(String password, String verifier) {
    String[] parts = verifier.split("\\$");
    if (parts.length != 4 || !parts[0].equals(SCHEME)) {
      throw new HsmException(ResultCode.CKR_DEVICE_ERROR, "a stored password verifier is damaged");
    }
    int iter = Integer.parseInt(parts[1]);
    byte[] salt = Base64.getDecoder().decode(parts[2]);
    byte[] expected = Base64.getDecoder().decode(parts[3]);
    byte[] actual = derive(password, salt, iter);
    return MessageDigest.isEqual(expected, actual);
  }

  /**
   * Whether {@code verifier} has the form {@link #hash} makes: the scheme, a cost within the
   * accepted range, a salt of 8 to 64 bytes and a 32-byte hash. For verifiers that arrive from
   * elsewhere (another member's users), before they are stored.
   */
  public static boolean wellFormed(String verifier) {
    if (verifier == null || verifier.length() > 256) {
      return false;
    }
    String[] parts = verifier.split("\\$", -1);
    if (parts.length != 4 || !parts[0].equals(SCHEME) || !parts[1].matches("[1-9][0-9]{0,7}")) {
      return false;
    }
    int iter = Integer.parseInt(parts[1]);
    if (iter < MIN_ITERATIONS || iter > MAX_ITERATIONS) {
      return false;
    }
    try {
      int salt = Base64.getDecoder().decode(parts[2]).length;
      return salt >= 8 && salt <= 64 && Base64.getDecoder().decode(parts[3]).length == 32;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** A deterministic, salted fingerprint for values compared across members (cloning domains). */
  public static String fingerprint(String purpose, String value) {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      d.update(("keyring " + purpose + "\0").getBytes(StandardCharsets.UTF_8));
      d.update(value.getBytes(StandardCharsets.UTF_8));
      return java.util.HexFormat.of().formatHex(Arrays.copyOf(d.digest(), 16));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] derive(String password, byte[] salt, int iterations) {
    // PBKDF2-HMAC-SHA256 over the UTF-8 password; the same bytes as the JDK's
    // PBKDF2WithHmacSHA256, without a JCA SecretKey outside the boundary
    byte[] pw = password.getBytes(StandardCharsets.UTF_8);
    try {
      PKCS5S2ParametersGenerator g = new PKCS5S2ParametersGenerator(new SHA256Digest());
      g.init(pw, salt, iterations);
      return ((KeyParameter) g.generateDerivedParameters(256)).getKey();
    } finally {
      Arrays.fill(pw, (byte) 0);
    }
  }
}
