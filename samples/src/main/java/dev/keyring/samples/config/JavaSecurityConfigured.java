package dev.keyring.samples.config;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.Security;
import java.security.Signature;
import java.util.Collections;

/**
 * An application that knows nothing of Keyring: the provider comes from a {@code java.security}
 * line, here given with {@code -Djava.security.properties=<file>} holding
 *
 * <pre>
 * security.provider.13=Keyring /etc/keyring/Chrystoki.conf
 * </pre>
 *
 * (N must be the next free position: the JDK reads the lines up to the first gap, and JDK 17 lists
 * 12 providers), and the provider's jar on the class path. It loads the {@code Keyring} KeyStore
 * named by its arguments, signs with the entry's key by delayed provider selection, and prints what
 * it did.
 *
 * <p>Usage: {@code JavaSecurityConfigured <slot properties file> <password> <alias>}.
 */
public final class JavaSecurityConfigured {
  private JavaSecurityConfigured() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: JavaSecurityConfigured <slot properties file> <password> <alias>");
      System.exit(2);
    }
    Provider p = Security.getProvider("Keyring");
    if (p == null) {
      System.err.println("no provider named Keyring is installed: add a security.provider line");
      System.exit(1);
    }
    System.out.println("provider " + p.getName() + " configured=" + p.isConfigured());
    KeyStore ks = KeyStore.getInstance("Keyring");
    try (InputStream in = Files.newInputStream(Path.of(args[0]))) {
      ks.load(in, args[1].toCharArray());
    }
    System.out.println("aliases " + Collections.list(ks.aliases()));
    PrivateKey key = (PrivateKey) ks.getKey(args[2], args[1].toCharArray());
    Signature s = Signature.getInstance("SHA256withECDSA");
    s.initSign(key);
    s.update(new byte[] {1, 2, 3});
    byte[] sig = s.sign();
    System.out.println(
        "signed by " + s.getProvider().getName() + " with " + key + ": " + sig.length + " bytes");
  }
}
