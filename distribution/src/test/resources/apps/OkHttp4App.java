import com.sun.net.httpserver.HttpServer;
import dev.keyring.provider.KeyringProvider;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Security;
import java.security.Signature;
import okhttp3.OkHttp;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * An application on OkHttp 4 (and the Kotlin 1.8 it brings) with the one-jar provider beside it:
 * both work in one JVM. Arguments: the client configuration, the keyring password.
 */
public class OkHttp4App {
  public static void main(String[] args) throws Exception {
    // the application's own OkHttp 4 call, to a server on loopback
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/",
        x -> {
          byte[] b = "pong".getBytes(StandardCharsets.UTF_8);
          x.sendResponseHeaders(200, b.length);
          x.getResponseBody().write(b);
          x.close();
        });
    server.start();
    String body;
    OkHttpClient http = new OkHttpClient();
    try (Response r =
        http.newCall(
                new Request.Builder()
                    .url("http://127.0.0.1:" + server.getAddress().getPort() + "/")
                    .build())
            .execute()) {
      body = r.body().string();
    } finally {
      server.stop(0);
      http.dispatcher().executorService().shutdown();
      http.connectionPool().evictAll();
    }
    System.out.println("okhttp " + OkHttp.VERSION + " answered " + body);

    // the provider, whose own OkHttp 5 is relocated inside its jar
    KeyringProvider provider = new KeyringProvider(Path.of(args[0]));
    Security.addProvider(provider);
    KeyStore ks = KeyStore.getInstance("Keyring");
    ks.load(null, args[1].toCharArray());
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC", provider);
    g.initialize(256);
    var pair = g.generateKeyPair();
    PrivateKey key = pair.getPrivate();
    Signature s = Signature.getInstance("SHA256withECDSA");
    s.initSign(key);
    s.update(body.getBytes(StandardCharsets.UTF_8));
    byte[] sig = s.sign();
    Signature v = Signature.getInstance("SHA256withECDSA", "SunEC");
    v.initVerify(pair.getPublic());
    v.update(body.getBytes(StandardCharsets.UTF_8));
    System.out.println("signer " + s.getProvider().getName() + ", verified " + v.verify(sig));
    System.out.println("operations " + provider.operationCounts());
    System.out.println("provider classes from " + KeyringProvider.class.getProtectionDomain().getCodeSource().getLocation());
  }
}
