package dev.keyring.provider.internal;

import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.KeyringObject;
import dev.keyring.client.api.TransportException;
import dev.keyring.protocol.AttributeType;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.ObjectClass;
import java.io.ByteArrayInputStream;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.cert.Certificate;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One alias of a Keyring KeyStore, read from the keyring's objects: the private or secret key with
 * that label (the first by handle), the certificates with that label, and the public key objects
 * with that label (which go with the key when the entry is replaced or deleted).
 */
final class AliasEntry {
  KeyringObject key;
  final List<KeyringObject> certs = new ArrayList<>();
  final List<KeyringObject> publicKeys = new ArrayList<>();

  /**
   * The entries the objects make, by alias: every label that names a key or a certificate. Objects
   * without a label belong to no entry.
   */
  static Map<String, AliasEntry> byAlias(List<KeyringObject> all) {
    Map<String, AliasEntry> out = new TreeMap<>();
    List<KeyringObject> sorted = new ArrayList<>(all);
    sorted.sort(Comparator.comparingLong(KeyringObject::handle));
    for (KeyringObject o : sorted) {
      String label = o.label();
      if (label.isEmpty()) {
        continue;
      }
      switch (o.objectClass()) {
        case PRIVATE_KEY:
        case SECRET_KEY:
          AliasEntry v = out.computeIfAbsent(label, l -> new AliasEntry());
          if (v.key == null) {
            v.key = o;
          }
          break;
        case CERTIFICATE:
          out.computeIfAbsent(label, l -> new AliasEntry()).certs.add(o);
          break;
        case PUBLIC_KEY:
          out.computeIfAbsent(label, l -> new AliasEntry()).publicKeys.add(o);
          break;
        default:
          break;
      }
    }
    out.values().removeIf(v -> v.key == null && v.certs.isEmpty());
    return out;
  }

  /**
   * The kind of entry this is: a private key is a {@code PrivateKeyEntry} with or without a
   * certificate, a secret key a {@code SecretKeyEntry}, certificates alone a {@code
   * TrustedCertificateEntry}.
   */
  Class<? extends KeyStore.Entry> entryType() {
    if (key == null) {
      return KeyStore.TrustedCertificateEntry.class;
    }
    return key.objectClass() == ObjectClass.PRIVATE_KEY
        ? KeyStore.PrivateKeyEntry.class
        : KeyStore.SecretKeyEntry.class;
  }

  /**
   * The leaf (the certificate of the key's public key) and its issuers, found among {@code all} the
   * keyring's certificates; null when no certificate of the entry holds the key's public key.
   */
  Certificate[] chain(List<KeyringObject> all) throws KeyStoreException {
    byte[] pub = key.toPublicKey().getEncoded();
    X509Certificate leaf = null;
    for (KeyringObject c : certs) {
      X509Certificate x = toCertificate(c);
      if (Arrays.equals(x.getPublicKey().getEncoded(), pub)) {
        leaf = x;
        break;
      }
    }
    if (leaf == null) {
      return null;
    }
    List<X509Certificate> pool = new ArrayList<>();
    for (KeyringObject c : certs) {
      pool.add(toCertificate(c));
    }
    for (KeyringObject o : all) {
      if (o.objectClass() == ObjectClass.CERTIFICATE && !certs.contains(o)) {
        pool.add(toCertificate(o));
      }
    }
    List<Certificate> chain = new ArrayList<>();
    chain.add(leaf);
    X509Certificate cur = leaf;
    while (chain.size() < 16
        && !cur.getIssuerX500Principal().equals(cur.getSubjectX500Principal())) {
      X509Certificate next = null;
      for (X509Certificate c : pool) {
        if (c.getSubjectX500Principal().equals(cur.getIssuerX500Principal())
            && !chain.contains(c)) {
          try {
            cur.verify(c.getPublicKey());
            next = c;
            break;
          } catch (GeneralSecurityException e) {
            // another certificate with that subject
          }
        }
      }
      if (next == null) {
        break;
      }
      chain.add(next);
      cur = next;
    }
    return chain.toArray(new Certificate[0]);
  }

  /** A trusted entry's certificate, or a private key entry's leaf; null for secret keys. */
  Certificate certificate(List<KeyringObject> all) throws KeyStoreException {
    if (key == null) {
      return toCertificate(certs.get(0));
    }
    if (key.objectClass() != ObjectClass.PRIVATE_KEY) {
      return null;
    }
    Certificate[] chain = chain(all);
    return chain == null ? null : chain[0];
  }

  static X509Certificate toCertificate(KeyringObject o) throws KeyStoreException {
    byte[] der =
        o.attributes()
            .bytes(AttributeType.CKA_VALUE)
            .orElseThrow(
                () -> new KeyStoreException("certificate object " + o.handle() + " has no value"));
    try {
      return (X509Certificate)
          CertificateFactory.getInstance("X.509")
              .generateCertificate(new ByteArrayInputStream(der));
    } catch (CertificateException e) {
      throw new KeyStoreException("certificate object " + o.handle() + " is unreadable", e);
    }
  }

  /** Creates the certificate object of an entry on the keyring. */
  static KeyringObject createCertificate(
      KeyringChannel h, String alias, byte[] id, X509Certificate c) throws TransportException {
    Attributes.Builder b =
        Attributes.builder()
            .objectClass(ObjectClass.CERTIFICATE)
            .label(alias)
            .set(AttributeType.CKA_VALUE, encoded(c));
    if (id != null) {
      b.id(id);
    }
    return h.createObject(b.build());
  }

  private static byte[] encoded(X509Certificate c) {
    try {
      return c.getEncoded();
    } catch (CertificateEncodingException e) {
      throw new IllegalArgumentException("the certificate cannot be encoded: " + e.getMessage(), e);
    }
  }
}
