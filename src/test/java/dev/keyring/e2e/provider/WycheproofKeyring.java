package dev.keyring.e2e.provider;

import dev.keyring.client.KeyringClient;
import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.config.ClientConfig;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.Role;
import dev.keyring.provider.KeyringProvider;
import dev.keyring.samples.LocalCluster;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The keyring the vectors run on, seen through the provider's {@code Keyring} KeyStore: software
 * keys from the vectors are imported with {@link KeyStore#setKeyEntry} (private keys with a
 * throwaway self-signed certificate signed by the key itself), and keys the operations make
 * (unwrapped, derived) are destroyed by giving them an alias and deleting the entry.
 *
 * <p>A keyring holds at most 256 objects, so imported keys are kept only while they are in use: at
 * most {@value #MAX_IMPORTED} at a time (the least recently used one goes first), and none after
 * {@link #releaseImported()}, which the runner calls at the end of each test group and file.
 */
final class WycheproofKeyring {
  /** Imported keys kept at once; each is one object, or two with its certificate. */
  static final int MAX_IMPORTED = 32;

  private static final HexFormat HEX = HexFormat.of();

  private final LocalCluster cluster;
  private final String label;
  private final KeyringProvider provider;
  private final KeyStore store;
  private final char[] password;

  /** Imported keys by their vector material, least recently used first. */
  private final Map<String, Imported> imported = new LinkedHashMap<>(64, 0.75f, true);

  private long aliases;

  private static final class Imported {
    final String alias;
    final Key key;

    Imported(String alias, Key key) {
      this.alias = alias;
      this.key = key;
    }
  }

  WycheproofKeyring(
      LocalCluster cluster, String label, String password, KeyringProvider provider, KeyStore ks) {
    this.cluster = cluster;
    this.label = label;
    this.password = password.toCharArray();
    this.provider = provider;
    this.store = ks;
  }

  KeyringProvider provider() {
    return provider;
  }

  /** {@code raw} as a keyring secret key of {@code algorithm} ("AES", "HmacSHA256"). */
  SecretKey secretKey(String algorithm, byte[] raw) throws GeneralSecurityException {
    return (SecretKey)
        importKey(
            "secret " + algorithm + " " + HEX.formatHex(raw),
            new SecretKeySpec(raw, algorithm),
            null);
  }

  /** The software private key {@code soft}, whose public key is {@code pub}, on the keyring. */
  PrivateKey privateKey(PrivateKey soft, PublicKey pub) throws GeneralSecurityException {
    String id = "private " + HEX.formatHex(soft.getEncoded());
    Imported known = imported.get(id);
    if (known != null) {
      return (PrivateKey) known.key;
    }
    return (PrivateKey) importKey(id, soft, new Certificate[] {selfSigned(soft, pub, false)});
  }

  /**
   * The software EC private key {@code soft} on the keyring as a key-agreement key: its certificate
   * says key agreement only, so the import makes a key that derives (keyring EC keys sign or
   * derive, not both).
   */
  PrivateKey keyAgreementKey(PrivateKey soft, PublicKey pub) throws GeneralSecurityException {
    String id = "agreement " + HEX.formatHex(soft.getEncoded());
    return (PrivateKey) importKey(id, soft, new Certificate[] {selfSigned(soft, pub, true)});
  }

  private Key importKey(String id, Key soft, Certificate[] chain) throws GeneralSecurityException {
    Imported known = imported.get(id);
    if (known != null) {
      return known.key;
    }
    while (imported.size() >= MAX_IMPORTED) {
      Iterator<Imported> eldest = imported.values().iterator();
      String alias = eldest.next().alias;
      eldest.remove();
      store.deleteEntry(alias);
    }
    String alias = "wycheproof-import-" + (++aliases);
    store.setKeyEntry(alias, soft, password, chain);
    Key k = store.getKey(alias, password);
    if (k == null) {
      throw new AssertionError("the imported key '" + alias + "' is not in the KeyStore");
    }
    imported.put(id, new Imported(alias, k));
    return k;
  }

  /** Deletes every imported key from the keyring. */
  void releaseImported() throws KeyStoreException {
    List<Imported> all = new ArrayList<>(imported.values());
    imported.clear();
    for (Imported i : all) {
      store.deleteEntry(i.alias);
    }
  }

  /** Destroys a secret key an operation made on the keyring (it has no alias of its own). */
  void destroy(SecretKey made) throws KeyStoreException {
    String alias = "wycheproof-made-" + (++aliases);
    store.setKeyEntry(alias, made, password, null);
    store.deleteEntry(alias);
  }

  /**
   * The objects on the keyring, counted through a session of its own (not the provider's), so keys
   * without a label count too.
   */
  int objectsOnKeyring() throws Exception {
    try (KeyringClient client = KeyringClient.open(ClientConfig.read(cluster.clientConfig()), 0);
        KeyringChannel s = client.openSession(label)) {
      s.login(Role.KRCO, new String(password));
      int n = s.findObjects(Attributes.empty()).size();
      s.logout();
      return n;
    }
  }

  /**
   * A self-signed certificate for {@code pub}, signed with {@code soft} by the JDK; for key
   * agreement only when {@code keyAgreement}.
   */
  private static Certificate selfSigned(PrivateKey soft, PublicKey pub, boolean keyAgreement)
      throws GeneralSecurityException {
    String alg;
    switch (soft.getAlgorithm()) {
      case "RSA":
        alg = "SHA256withRSA";
        break;
      case "EC":
        alg = "SHA256withECDSA";
        break;
      default:
        alg = soft.getAlgorithm();
    }
    Instant now = Instant.now();
    X500Name name = new X500Name("CN=Wycheproof vector key");
    try {
      JcaX509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              name,
              BigInteger.valueOf(now.toEpochMilli()),
              Date.from(now.minusSeconds(60)),
              Date.from(now.plusSeconds(3600)),
              name,
              pub);
      if (keyAgreement) {
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyAgreement));
      }
      return new JcaX509CertificateConverter()
          .getCertificate(b.build(new JcaContentSignerBuilder(alg).build(soft)));
    } catch (OperatorCreationException | CertIOException e) {
      throw new GeneralSecurityException("cannot sign a certificate with " + alg, e);
    }
  }
}
