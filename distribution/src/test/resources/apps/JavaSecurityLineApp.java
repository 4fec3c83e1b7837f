import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.Signature;

/**
 * No code names the provider's class: a {@code java.security} line (given with
 * -Djava.security.properties) installs it from the one jar on the class path. Argument: the
 * keyring password.
 */
public class JavaSecurityLineApp {
  public static void main(String[] args) throws Exception {
    KeyStore ks = KeyStore.getInstance("Keyring");
    ks.load(null, args[0].toCharArray());
    KeyPair pair = KeyPairGenerator.getInstance("EC", "Keyring").generateKeyPair();
    byte[] data = "configured by a java.security line".getBytes(StandardCharsets.UTF_8);
    Signature s = Signature.getInstance("SHA256withECDSA");
    s.initSign(pair.getPrivate());
    s.update(data);
    byte[] sig = s.sign();
    Signature v = Signature.getInstance("SHA256withECDSA", "SunEC");
    v.initVerify(pair.getPublic());
    v.update(data);
    System.out.println("signer " + s.getProvider().getName() + ", verified " + v.verify(sig));
  }
}
