package dev.keyring.e2e.cluster;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.Provider;
import java.security.Signature;

/** One signature by a provider, checked by the JDK. */
public final class Signing {
  private Signing() {}

  public static boolean signsAndVerifies(Provider provider, KeyPair kp) throws Exception {
    byte[] msg = "still signing".getBytes(StandardCharsets.UTF_8);
    Signature s = Signature.getInstance("SHA256withECDSA", provider);
    s.initSign(kp.getPrivate());
    s.update(msg);
    byte[] sig = s.sign();
    Signature v = Signature.getInstance("SHA256withECDSA");
    v.initVerify(kp.getPublic());
    v.update(msg);
    return v.verify(sig);
  }
}
