package dev.keyring.sim.boundary;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.generators.SCrypt;

/**
 * The key of one cluster backup file: derived from the backup password with scrypt, used for the
 * AES-256-GCM chunks of the file's body. The key never leaves this object; {@link #close()} wipes
 * it. Made by {@link Boundary#backupCipher} (from a password given now) or {@link
 * Boundary#backupCipherFromSealedPassword} (from a password the member sealed earlier, for
 * scheduled backups). The file format is in {@code docs/backup.md}.
 */
public final class BackupCipher implements AutoCloseable {
  /** Bytes of the salt. */
  public static final int SALT_BYTES = 16;

  /** Bytes of a GCM tag. */
  public static final int TAG_BYTES = 16;

  /** Bytes of a GCM nonce. */
  public static final int NONCE_BYTES = 12;

  /** The smallest scrypt cost accepted (log2 N), on writing and reading. */
  public static final int MIN_LOG_N = 14;

  /** The largest scrypt cost accepted when reading (log2 N = 17: 128 MiB with r = 8). */
  public static final int MAX_LOG_N = 17;

  private final SecretKeySpec key;
  private volatile boolean closed;

  private BackupCipher(byte[] raw) {
    this.key = new SecretKeySpec(raw, "AES");
  }

  /**
   * Derives the key: scrypt(password as UTF-8, salt, N = 2^logN, r, p), 32 bytes. The cost is
   * checked first, so a file whose header asks for an absurd cost is refused before any work.
   */
  static BackupCipher derive(byte[] password, byte[] salt, int logN, int r, int p) {
    checkCost(logN, r, p);
    if (salt == null || salt.length != SALT_BYTES) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD, "the backup salt must be " + SALT_BYTES + " bytes");
    }
    byte[] raw = SCrypt.generate(password, salt, 1 << logN, r, p, 32);
    try {
      return new BackupCipher(raw);
    } finally {
      Arrays.fill(raw, (byte) 0);
    }
  }

  /**
   * Derives the key from a password given as text (see {@link #derive(byte[], byte[], int, int,
   * int)}).
   */
  static BackupCipher derive(String password, byte[] salt, int logN, int r, int p) {
    byte[] pw = password.getBytes(StandardCharsets.UTF_8);
    try {
      return derive(pw, salt, logN, r, p);
    } finally {
      Arrays.fill(pw, (byte) 0);
    }
  }

  /**
   * Refuses a scrypt cost outside what this member derives: log2 N from {@value #MIN_LOG_N} to
   * {@value #MAX_LOG_N}, r from 1 to 16, p from 1 to 4.
   */
  public static void checkCost(int logN, int r, int p) {
    if (logN < MIN_LOG_N || logN > MAX_LOG_N || r < 1 || r > 16 || p < 1 || p > 4) {
      throw new HsmException(
          ResultCode.CKR_ENCRYPTED_DATA_INVALID,
          "the backup's key derivation parameters are outside what is accepted (scrypt log2 N "
              + MIN_LOG_N
              + " to "
              + MAX_LOG_N
              + ", r 1 to 16, p 1 to 4): the file is damaged or not a backup of this kind");
    }
  }

  /** Encrypts one chunk: ciphertext followed by the 16-byte tag. */
  public byte[] seal(byte[] nonce, byte[] associatedData, byte[] plaintext, int length) {
    try {
      Cipher gcm = cipher(Cipher.ENCRYPT_MODE, nonce);
      gcm.updateAAD(associatedData);
      return gcm.doFinal(plaintext, 0, length);
    } catch (GeneralSecurityException e) {
      throw new HsmException(ResultCode.CKR_DEVICE_ERROR, "encrypting a backup chunk failed");
    }
  }

  /**
   * Decrypts and authenticates one chunk. A wrong password, an altered byte anywhere in the header
   * or the chunk, a chunk moved or dropped: CKR_ENCRYPTED_DATA_INVALID, the same message for all
   * (an authenticated cipher cannot tell them apart).
   */
  public byte[] open(byte[] nonce, byte[] associatedData, byte[] ciphertext, int length) {
    try {
      Cipher gcm = cipher(Cipher.DECRYPT_MODE, nonce);
      gcm.updateAAD(associatedData);
      return gcm.doFinal(ciphertext, 0, length);
    } catch (AEADBadTagException e) {
      throw new HsmException(
          ResultCode.CKR_ENCRYPTED_DATA_INVALID,
          "the backup file cannot be opened: the password is wrong, or the file was altered or"
              + " cut short");
    } catch (GeneralSecurityException e) {
      throw new HsmException(ResultCode.CKR_DEVICE_ERROR, "decrypting a backup chunk failed");
    }
  }

  private Cipher cipher(int mode, byte[] nonce) throws GeneralSecurityException {
    if (closed) {
      throw new IllegalStateException("this backup key was closed");
    }
    Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding", "SunJCE");
    gcm.init(mode, key, new GCMParameterSpec(TAG_BYTES * 8, nonce));
    return gcm;
  }

  /** Forgets the key (best effort: the JDK's key object keeps its own copy until collected). */
  @Override
  public void close() {
    closed = true;
    try {
      key.destroy();
    } catch (javax.security.auth.DestroyFailedException e) {
      // SecretKeySpec cannot be destroyed on JDK 17; the object becomes unreachable with this one
    }
  }

  /** No key material. */
  @Override
  public String toString() {
    return "BackupCipher[AES-256-GCM, scrypt-derived]";
  }
}
