package dev.keyring.provider.internal;

import dev.keyring.client.api.TransportException;
import dev.keyring.provider.api.ProviderOperation;
import java.security.SecureRandomSpi;

/**
 * Random bytes from the HSM's generator. Bytes are fetched in blocks of up to {@value #BLOCK} and
 * handed out in order, so small requests cost no round trip each. The HSM hands out random bytes to
 * a logged-in session: the keyring most recently loaded as a KeyStore on this provider. Seeds given
 * by the caller are ignored: the HSM's generator takes no outside seed.
 */
public final class KeyringSecureRandomSpi extends SecureRandomSpi {
  private static final long serialVersionUID = 1L;
  private static final int BLOCK = 1024;
  private static final int MAX_REQUEST = 65_536;

  private final transient ProviderContext ctx;
  private transient byte[] pool = new byte[0];
  private transient int used;

  public KeyringSecureRandomSpi(ProviderContext ctx) {
    this.ctx = ctx;
  }

  @Override
  protected void engineSetSeed(byte[] seed) {
    // the HSM's generator takes no outside seed
  }

  @Override
  protected synchronized void engineNextBytes(byte[] bytes) {
    int off = 0;
    while (off < bytes.length) {
      if (used == pool.length) {
        int want = bytes.length - off >= BLOCK ? Math.min(MAX_REQUEST, bytes.length - off) : BLOCK;
        pool = fetch(want);
        used = 0;
      }
      int n = Math.min(bytes.length - off, pool.length - used);
      System.arraycopy(pool, used, bytes, off, n);
      java.util.Arrays.fill(pool, used, used + n, (byte) 0);
      used += n;
      off += n;
    }
  }

  @Override
  protected byte[] engineGenerateSeed(int numBytes) {
    byte[] b = new byte[numBytes];
    engineNextBytes(b);
    return b;
  }

  private byte[] fetch(int n) {
    SlotSession slot = null;
    try {
      slot = ctx.activeSlot();
      return slot.call(ProviderOperation.RANDOM, s -> s.random(n));
    } catch (TransportException | RuntimeException e) {
      throw Errors.provider(slot, "random bytes from the HSM", e);
    }
  }
}
