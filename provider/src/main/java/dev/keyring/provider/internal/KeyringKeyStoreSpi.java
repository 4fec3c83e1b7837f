package dev.keyring.provider.internal;

import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.KeyringObject;
import dev.keyring.client.api.TransportException;
import dev.keyring.protocol.AttributeType;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.ResultCode;
import dev.keyring.provider.api.KeyringKey;
import dev.keyring.provider.api.ProviderOperation;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.KeyStoreSpi;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.UnrecoverableEntryException;
import java.security.UnrecoverableKeyException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Date;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import javax.crypto.SecretKey;

/**
 * The {@code Keyring} KeyStore: one keyring seen as a key store. Aliases are object labels. A
 * private or secret key with a label is a key entry, with or without certificates; certificates
 * whose label names no key are trusted certificate entries. A key's certificate chain is kept as
 * certificate objects with the key's label, ordered by issuer when read.
 *
 * <p>{@code load(stream, password)}: the stream is a small properties file ({@code slot=<keyring
 * label or UUID>}, optional {@code cluster=<00-09>}, optional {@code role=co}); with a null stream
 * the provider's configured default slot is used. The password is the keyring's KRCO password; it
 * is also the key password of every entry, and the KeyStore cannot change it ({@link
 * KeyStorePasswords}).
 *
 * <p>Every change is made on the cluster at once, so {@code store()} writes nothing. Every read
 * asks the cluster, so changes made by other clients are seen; it sees this client's own changes
 * whichever member answers (read-your-writes). A delete or a replacement is decided on the primary
 * member: the lookup of what an alias holds before its objects are destroyed or relabelled is
 * answered by the primary only, so a member that has not applied every write yet never makes a
 * delete miss an object. A delete or replacement that leaves an object of the entry fails with a
 * {@link KeyStoreException} naming what is left.
 */
public final class KeyringKeyStoreSpi extends KeyStoreSpi {
  private static final Set<String> PROPERTIES = Set.of("slot", "cluster", "role");

  private final ProviderContext ctx;
  private SlotSession slot;
  private Date loadedAt;

  /** The properties the KeyStore was loaded from, written back by {@code store(stream, pw)}. */
  private byte[] slotProperties;

  public KeyringKeyStoreSpi(ProviderContext ctx) {
    this.ctx = ctx;
  }

  // ---- load and store

  @Override
  public void engineLoad(InputStream stream, char[] password)
      throws IOException, NoSuchAlgorithmException, CertificateException {
    Properties props = new Properties();
    byte[] raw = null;
    if (stream != null) {
      raw = stream.readAllBytes();
      if (raw.length > 64 * 1024) {
        throw new IOException(
            "a Keyring KeyStore stream is a small properties file (slot=<keyring>), got "
                + raw.length
                + " bytes: is this another kind of key store?");
      }
      String text = new String(raw, StandardCharsets.UTF_8);
      if (text.startsWith("\uFEFF")) {
        text = text.substring(1); // a byte order mark, as editors on Windows write
      }
      try {
        props.load(new StringReader(text));
      } catch (IllegalArgumentException e) {
        throw new IOException("the Keyring KeyStore stream is not a properties file: " + e, e);
      }
      for (String k : props.stringPropertyNames()) {
        if (!PROPERTIES.contains(k)) {
          throw new IOException(
              "unknown property '"
                  + k
                  + "' in the Keyring KeyStore stream; known: slot, cluster, role");
        }
      }
    }
    String role = props.getProperty("role", "co").trim();
    if (!role.equalsIgnoreCase("co") && !role.equalsIgnoreCase("krco")) {
      throw new IOException(
          "role must be 'co' (the keyring's crypto officer, KRCO), got '" + role + "'");
    }
    int cluster;
    try {
      cluster =
          props.containsKey("cluster")
              ? ProviderSettings.parseClusterIndex(props.getProperty("cluster"), "cluster")
              : ctx.settings().defaultCluster();
    } catch (IllegalArgumentException e) {
      throw new IOException(e.getMessage(), e);
    }
    String slotName = props.getProperty("slot");
    if (slotName == null || slotName.isBlank()) {
      slotName =
          ctx.settings()
              .defaultSlot()
              .orElseThrow(
                  () ->
                      new IOException(
                          "no keyring named: give slot=<keyring label or UUID> in the load"
                              + " stream, or DefaultSlot in section '"
                              + ProviderSettings.SECTION
                              + "' of "
                              + ctx.settings().file()));
    }
    slotName = slotName.trim();
    if (password == null) {
      throw new IOException(
          "the Keyring KeyStore needs the KRCO password of keyring '" + slotName + "'");
    }
    try {
      slot = ctx.login(cluster, slotName, password);
      loadedAt = new Date();
      slotProperties = raw != null ? raw : slotProperties(slotName, cluster);
    } catch (HsmException e) {
      String msg = "cannot open keyring '" + slotName + "': " + e.getMessage();
      if (e.code() == ResultCode.CKR_PIN_INCORRECT) {
        throw new IOException(msg, new UnrecoverableKeyException(msg));
      }
      throw new IOException(msg, e);
    } catch (TransportException | RuntimeException e) {
      throw new IOException(
          "cannot open keyring '" + slotName + "': " + Errors.message(null, "the login", e), e);
    }
  }

  /**
   * Every change is already on the cluster; a non-null stream gets the slot properties the KeyStore
   * was loaded from, so that a caller who writes the store back to the file it loaded (as keytool
   * does after {@code -genkeypair}, {@code -importcert} or {@code -delete}) can load it again.
   */
  @Override
  public void engineStore(OutputStream stream, char[] password) throws IOException {
    KeyStorePasswords.checkStore(requireLoaded(), password);
    if (stream != null) {
      stream.write(slotProperties);
      stream.flush();
    }
  }

  private static byte[] slotProperties(String slotName, int cluster) throws IOException {
    Properties p = new Properties();
    p.setProperty("slot", slotName);
    p.setProperty("cluster", String.format(java.util.Locale.ROOT, "%02d", cluster));
    java.io.StringWriter w = new java.io.StringWriter();
    p.store(w, "Keyring KeyStore");
    return w.toString().getBytes(StandardCharsets.UTF_8);
  }

  // ---- reading

  private SlotSession requireLoaded() {
    if (slot == null) {
      throw new IllegalStateException("the Keyring KeyStore is not loaded: call load() first");
    }
    return slot;
  }

  private List<KeyringObject> objects() throws KeyStoreException {
    SlotSession s = requireLoaded();
    try {
      return s.call(h -> h.findObjects(Attributes.empty()));
    } catch (TransportException | RuntimeException e) {
      throw new KeyStoreException(Errors.message(s, "listing the keyring's objects", e), e);
    }
  }

  private AliasEntry view(String alias) throws KeyStoreException {
    return alias == null ? null : AliasEntry.byAlias(objects()).get(alias);
  }

  /**
   * The keyring's objects as the primary holds them: for the lookups that decide a destroy or a
   * label change.
   */
  private List<KeyringObject> objectsOnPrimary() throws KeyStoreException {
    SlotSession s = requireLoaded();
    try {
      return s.call(h -> h.findObjectsOnPrimary(Attributes.empty()));
    } catch (TransportException | RuntimeException e) {
      throw new KeyStoreException(
          Errors.message(s, "listing the keyring's objects on the primary member", e), e);
    }
  }

  @Override
  public Key engineGetKey(String alias, char[] password)
      throws NoSuchAlgorithmException, UnrecoverableKeyException {
    AliasEntry v;
    try {
      v = view(alias);
    } catch (KeyStoreException e) {
      throw Errors.unrecoverable(slot, "reading entry '" + alias + "'", e);
    }
    return v == null ? null : keyOf(v, alias, password);
  }

  /** The entry's key handle, or null; the password must be the store's (or none). */
  private Key keyOf(AliasEntry v, String alias, char[] password) throws UnrecoverableKeyException {
    if (v.key == null) {
      return null;
    }
    if (!KeyStorePasswords.noneOrTheKeyrings(slot, password)) {
      throw KeyStorePasswords.wrongKeyPassword(alias);
    }
    return KeyHandles.of(slot, v.key, null, -1);
  }

  @Override
  public KeyStore.Entry engineGetEntry(String alias, KeyStore.ProtectionParameter protParam)
      throws KeyStoreException, NoSuchAlgorithmException, UnrecoverableEntryException {
    if (alias == null) {
      return null;
    }
    List<KeyringObject> all = objects();
    AliasEntry v = AliasEntry.byAlias(all).get(alias);
    if (v == null) {
      return null;
    }
    if (v.key == null) {
      return new KeyStore.TrustedCertificateEntry(AliasEntry.toCertificate(v.certs.get(0)));
    }
    char[] pw = null;
    if (protParam instanceof KeyStore.PasswordProtection) {
      pw = ((KeyStore.PasswordProtection) protParam).getPassword();
    } else if (protParam != null) {
      throw new UnrecoverableEntryException(
          "a Keyring KeyStore entry takes a PasswordProtection (the KRCO password) or none");
    }
    Key k = keyOf(v, alias, pw);
    if (k instanceof PrivateKey) {
      Certificate[] chain = v.chain(all);
      if (chain == null) {
        throw new UnrecoverableEntryException(
            "'"
                + alias
                + "' is a private key without a certificate; read it with getKey(), or store a"
                + " chain with setKeyEntry");
      }
      return new KeyStore.PrivateKeyEntry((PrivateKey) k, chain);
    }
    return new KeyStore.SecretKeyEntry((SecretKey) k);
  }

  @Override
  public Certificate[] engineGetCertificateChain(String alias) {
    try {
      List<KeyringObject> all = objects();
      AliasEntry v = AliasEntry.byAlias(all).get(alias);
      if (v == null || v.key == null || v.key.objectClass() != ObjectClass.PRIVATE_KEY) {
        return null;
      }
      return v.chain(all);
    } catch (KeyStoreException e) {
      throw Errors.provider(slot, "reading the chain of '" + alias + "'", e);
    }
  }

  @Override
  public Certificate engineGetCertificate(String alias) {
    try {
      List<KeyringObject> all = objects();
      AliasEntry v = AliasEntry.byAlias(all).get(alias);
      return v == null ? null : v.certificate(all);
    } catch (KeyStoreException e) {
      throw Errors.provider(slot, "reading the certificate of '" + alias + "'", e);
    }
  }

  /** The time the KeyStore was loaded: keyrings record no creation dates. */
  @Override
  public Date engineGetCreationDate(String alias) {
    return engineContainsAlias(alias) ? new Date(loadedAt.getTime()) : null;
  }

  @Override
  public Enumeration<String> engineAliases() {
    try {
      return Collections.enumeration(new ArrayList<>(AliasEntry.byAlias(objects()).keySet()));
    } catch (KeyStoreException e) {
      throw Errors.provider(slot, "listing aliases", e);
    }
  }

  @Override
  public boolean engineContainsAlias(String alias) {
    try {
      return view(alias) != null;
    } catch (KeyStoreException e) {
      throw Errors.provider(slot, "reading entry '" + alias + "'", e);
    }
  }

  @Override
  public int engineSize() {
    try {
      return AliasEntry.byAlias(objects()).size();
    } catch (KeyStoreException e) {
      throw Errors.provider(slot, "counting entries", e);
    }
  }

  @Override
  public boolean engineIsKeyEntry(String alias) {
    try {
      AliasEntry v = view(alias);
      return v != null && v.key != null;
    } catch (KeyStoreException e) {
      throw Errors.provider(slot, "reading entry '" + alias + "'", e);
    }
  }

  /** By the key's class, not by whether it has a certificate (the JDK's default's test). */
  @Override
  public boolean engineEntryInstanceOf(String alias, Class<? extends KeyStore.Entry> entryClass) {
    try {
      AliasEntry v = view(alias);
      return v != null && entryClass != null && entryClass.isAssignableFrom(v.entryType());
    } catch (KeyStoreException e) {
      throw Errors.provider(slot, "reading entry '" + alias + "'", e);
    }
  }

  @Override
  public boolean engineIsCertificateEntry(String alias) {
    try {
      AliasEntry v = view(alias);
      return v != null && v.key == null;
    } catch (KeyStoreException e) {
      throw Errors.provider(slot, "reading entry '" + alias + "'", e);
    }
  }

  @Override
  public String engineGetCertificateAlias(Certificate cert) {
    if (cert == null) {
      return null;
    }
    try {
      List<KeyringObject> all = objects();
      for (Map.Entry<String, AliasEntry> e : AliasEntry.byAlias(all).entrySet()) {
        if (cert.equals(e.getValue().certificate(all))) {
          return e.getKey();
        }
      }
      return null;
    } catch (KeyStoreException e) {
      throw Errors.provider(slot, "searching a certificate", e);
    }
  }

  // ---- writing

  @Override
  public void engineSetKeyEntry(String alias, Key key, char[] password, Certificate[] chain)
      throws KeyStoreException {
    checkAlias(alias);
    SlotSession s = requireLoaded();
    if (key == null) {
      throw new KeyStoreException("the key is null");
    }
    List<X509Certificate> certs = x509(chain);
    if (key instanceof PrivateKey && !certs.isEmpty()) {
      PrivateKey pk = (PrivateKey) key;
      java.security.PublicKey pub =
          pk instanceof dev.keyring.provider.api.KeyringPrivateKey
              ? ((dev.keyring.provider.api.KeyringPrivateKey) pk).publicKey()
              : null;
      if (pub != null
          && !Arrays.equals(pub.getEncoded(), certs.get(0).getPublicKey().getEncoded())) {
        throw new KeyStoreException(
            "the first certificate of the chain is not the certificate of this key");
      }
    }
    AliasEntry old = AliasEntry.byAlias(objectsOnPrimary()).get(alias);
    if (old != null
        && old.key != null
        && key instanceof KeyringKey
        && ((KeyringKey) key).keyringId().equals(s.keyringId())
        && ((KeyringKey) key).objectHandle() == old.key.handle()) {
      KeyStorePasswords.checkKeyPassword(s, alias, password);
    }
    List<EntryRemoval.Left> left;
    try {
      left =
          s.call(
              h -> {
                KeyringObject stored = storeKey(h, s, alias, key, chain);
                byte[] id = stored.attributes().bytes(AttributeType.CKA_ID).orElse(null);
                for (X509Certificate c : certs) {
                  AliasEntry.createCertificate(h, alias, id, c);
                }
                // the new entry is whole: now drop what the alias held before
                List<KeyringObject> replaced = new ArrayList<>();
                if (old != null) {
                  replaced.addAll(old.certs);
                  if (old.key != null && old.key.handle() != stored.handle()) {
                    replaced.add(old.key);
                    replaced.addAll(old.publicKeys);
                  }
                }
                return EntryRemoval.destroy(h, replaced);
              });
    } catch (TransportException | RuntimeException e) {
      throw new KeyStoreException(Errors.message(s, "storing entry '" + alias + "'", e), e);
    }
    if (!left.isEmpty()) {
      throw EntryRemoval.failure(
          "entry '"
              + alias
              + "' was stored on "
              + s
              + ", but the entry it replaced was not removed",
          left,
          "Until they are deleted the alias may still name the old objects: delete them (or the"
              + " entry) and store it again");
    }
  }

  private KeyringObject storeKey(
      KeyringChannel h, SlotSession s, String alias, Key key, Certificate[] chain)
      throws TransportException {
    if (key instanceof KeyringKey) {
      KeyringKey k = (KeyringKey) key;
      if (!k.keyringId().equals(s.keyringId())) {
        throw new IllegalArgumentException(
            key + " is on another keyring (" + k.keyringId() + ") than this KeyStore (" + s + ")");
      }
      KeyringObject o =
          h.setAttributes(k.objectHandle(), Attributes.builder().label(alias).build());
      // the public key object of a pair follows its private key's label
      byte[] id = o.attributes().bytes(AttributeType.CKA_ID).orElse(null);
      if (id != null && o.objectClass() == ObjectClass.PRIVATE_KEY) {
        for (KeyringObject p :
            h.findObjectsOnPrimary(
                Attributes.builder()
                    .objectClass(ObjectClass.PUBLIC_KEY)
                    .set(AttributeType.CKA_ID, id)
                    .build())) {
          h.setAttributes(p.handle(), Attributes.builder().label(alias).build());
        }
      }
      return o;
    }
    try {
      Attributes template =
          key instanceof PrivateKey
              ? Unwrapping.privateTemplate(key.getAlgorithm(), Unwrapping.forKeyAgreement(chain))
              : Unwrapping.secretTemplate(key.getAlgorithm());
      ctx.counters().add(ProviderOperation.IMPORT);
      return KeyImporter.importKey(h, key, template.toBuilder().label(alias).build());
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(
          "cannot import the " + key.getAlgorithm() + " key: " + e.getMessage(), e);
    }
  }

  private static List<X509Certificate> x509(Certificate[] chain) throws KeyStoreException {
    List<X509Certificate> out = new ArrayList<>();
    if (chain != null) {
      for (Certificate c : chain) {
        if (!(c instanceof X509Certificate)) {
          throw new KeyStoreException(
              "a keyring stores X.509 certificates only, got "
                  + (c == null ? "null" : c.getType()));
        }
        out.add((X509Certificate) c);
      }
    }
    return out;
  }

  private static void checkAlias(String alias) throws KeyStoreException {
    if (alias == null || alias.isEmpty()) {
      throw new KeyStoreException("the alias (the object label) must not be empty");
    }
    if (alias.chars().anyMatch(c -> c < ' ')) {
      throw new KeyStoreException("the alias must not contain control characters");
    }
  }

  /** A key entry takes the store password or none, as {@code setKeyEntry} does. */
  @Override
  public void engineSetEntry(String alias, KeyStore.Entry entry, KeyStore.ProtectionParameter p)
      throws KeyStoreException {
    if (p == null && entry instanceof KeyStore.PrivateKeyEntry) {
      KeyStore.PrivateKeyEntry e = (KeyStore.PrivateKeyEntry) entry;
      engineSetKeyEntry(alias, e.getPrivateKey(), null, e.getCertificateChain());
    } else if (p == null && entry instanceof KeyStore.SecretKeyEntry) {
      engineSetKeyEntry(alias, ((KeyStore.SecretKeyEntry) entry).getSecretKey(), null, null);
    } else {
      super.engineSetEntry(alias, entry, p);
    }
  }

  @Override
  public void engineSetKeyEntry(String alias, byte[] key, Certificate[] chain)
      throws KeyStoreException {
    throw new KeyStoreException(
        "a keyring takes no protected key bytes: pass the key itself to setKeyEntry(alias, key,"
            + " password, chain), which imports it wrapped");
  }

  @Override
  public void engineSetCertificateEntry(String alias, Certificate cert) throws KeyStoreException {
    checkAlias(alias);
    SlotSession s = requireLoaded();
    List<X509Certificate> c = x509(new Certificate[] {cert});
    AliasEntry old = AliasEntry.byAlias(objectsOnPrimary()).get(alias);
    if (old != null && old.key != null) {
      throw new KeyStoreException(
          "'" + alias + "' is a key entry; a trusted certificate needs an alias of its own");
    }
    List<EntryRemoval.Left> left;
    try {
      left =
          s.call(
              h -> {
                AliasEntry.createCertificate(h, alias, null, c.get(0));
                return EntryRemoval.destroy(h, old == null ? List.of() : old.certs);
              });
    } catch (TransportException | RuntimeException e) {
      throw new KeyStoreException(Errors.message(s, "storing certificate '" + alias + "'", e), e);
    }
    if (!left.isEmpty()) {
      throw EntryRemoval.failure(
          "certificate '" + alias + "' was stored on " + s + ", but the one it replaced was not",
          left,
          "The alias names both until the old certificate is deleted");
    }
  }

  /**
   * Destroys the entry's objects on the keyring, as the primary lists them: the key first, then
   * (once it is gone) its public keys and certificates.
   *
   * @throws KeyStoreException naming every object left when one could not be destroyed (when the
   *     key could not, nothing else was tried)
   */
  @Override
  public void engineDeleteEntry(String alias) throws KeyStoreException {
    SlotSession s = requireLoaded();
    AliasEntry v = alias == null ? null : AliasEntry.byAlias(objectsOnPrimary()).get(alias);
    if (v == null) {
      return;
    }
    List<KeyringObject> rest = new ArrayList<>(v.publicKeys);
    rest.addAll(v.certs);
    List<EntryRemoval.Left> left;
    try {
      left = s.call(h -> EntryRemoval.destroyEntry(h, v.key, rest));
    } catch (TransportException | RuntimeException e) {
      throw new KeyStoreException(Errors.message(s, "deleting entry '" + alias + "'", e), e);
    }
    if (!left.isEmpty()) {
      throw EntryRemoval.failure(
          "entry '" + alias + "' on " + s + " was not deleted whole",
          left,
          "Delete it again once the cause is removed");
    }
  }
}
