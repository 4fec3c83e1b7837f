import dev.keyring.provider.KeyringProvider;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.*;
import java.security.spec.ECGenParameterSpec;

public class SignWithKeyring {
  public static void main(String[] args) throws Exception {
    Security.addProvider(new KeyringProvider(Path.of(args[0]))); // DIR/client/Chrystoki.conf
    KeyStore ks = KeyStore.getInstance("Keyring");
    ks.load(null, args[1].toCharArray()); // keyring.password: the KRCO logs in
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC", "Keyring");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair key = g.generateKeyPair(); // made on the keyring; the private key never leaves it
    byte[] data = "hello, keyring".getBytes(StandardCharsets.UTF_8);
    Signature s = Signature.getInstance("SHA256withECDSA"); // the key picks the provider
    s.initSign(key.getPrivate());
    s.update(data);
    byte[] signature = s.sign();
    Signature v = Signature.getInstance("SHA256withECDSA", "SunEC");
    v.initVerify(key.getPublic());
    v.update(data);
    System.out.println("signed on the keyring; SunEC verifies it: " + v.verify(signature));
  }
}
