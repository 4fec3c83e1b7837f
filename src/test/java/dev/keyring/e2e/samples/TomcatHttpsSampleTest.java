package dev.keyring.e2e.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.e2e.WatchedClusters;
import dev.keyring.provider.KeyringProvider;
import dev.keyring.provider.api.ProviderOperation;
import dev.keyring.samples.LocalCluster;
import dev.keyring.samples.ServerCertificates;
import dev.keyring.samples.tomcat.TomcatHttpsSample;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.Security;
import java.security.cert.X509Certificate;
import java.util.Optional;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Tomcat sample serves HTTPS with its key on a keyring, configured by keystore type only. */
class TomcatHttpsSampleTest {
  private static final String PASSWORD = "tomcat-test-pw-1";

  @TempDir Path dir;

  @Test
  void tomcat_withKeyringKeystore_servesHttps_andSignsOnTheKeyring() throws Exception {
    try (LocalCluster cluster = WatchedClusters.start(dir.resolve("home"))) {
      cluster.createKeyring("web", PASSWORD);
      Path slotFile = cluster.writeSlotFile("web");
      assertNull(Security.getProvider(KeyringProvider.NAME), "a Keyring provider is registered");
      // as a java.security line 'security.provider.N=Keyring <path>' would register it
      KeyringProvider provider =
          (KeyringProvider) new KeyringProvider().configure(cluster.clientConfig().toString());
      Security.addProvider(provider);
      try {
        X509Certificate cert = TomcatHttpsSample.ensureServerKey(slotFile, PASSWORD, "web");
        long signs = provider.operationCount(ProviderOperation.SIGN);
        try (TomcatHttpsSample tomcat =
            TomcatHttpsSample.start(slotFile, PASSWORD, "web", 0, dir.resolve("tomcat"))) {
          assertTrue(tomcat.port() > 0);
          HttpClient client =
              HttpClient.newBuilder().sslContext(ServerCertificates.trusting(cert)).build();
          HttpResponse<String> r =
              client.send(
                  HttpRequest.newBuilder(URI.create("https://localhost:" + tomcat.port() + "/"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
          assertEquals(200, r.statusCode());
          assertEquals(TomcatHttpsSample.page("web"), r.body());
          Optional<SSLSession> tls = r.sslSession();
          assertTrue(tls.isPresent());
          assertEquals(cert, tls.get().getPeerCertificates()[0]);
          assertInstanceOf(X509Certificate.class, tls.get().getPeerCertificates()[0]);
          assertTrue(
              provider.operationCount(ProviderOperation.SIGN) > signs,
              "the handshake's signature was made on the keyring");
        }
      } finally {
        Security.removeProvider(KeyringProvider.NAME);
        provider.close();
      }
      assertEquals(0, cluster.cluster().member(0).openSessions(), "sessions left open");
    }
  }
}
