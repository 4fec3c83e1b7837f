package dev.keyring.provider.api;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.NoSuchAlgorithmException;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.UnrecoverableKeyException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Objects;
import java.util.Set;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509KeyManager;

/**
 * A TLS key manager that always presents one configured alias of a KeyStore, for a server (and
 * optionally a client) whose KeyStore holds several keys: the JDK's own key managers pick among
 * them by key type and issuer, and with two keys of one type the choice is theirs, not yours.
 *
 * <p>It wraps the JDK's {@code SunX509} key manager over the same KeyStore: the private key and
 * chain of every alias come from it; only the choice is overridden. When the handshake asks for a
 * key type the configured key is not ({@code RSA} for an EC key), no alias is offered for it, and
 * JSSE moves on to the next type it can use. A side without a configured alias keeps the JDK's
 * choice. Works with any KeyStore; with a {@code Keyring} KeyStore the private key stays on the
 * keyring and each handshake's signature is made there.
 *
 * <pre>{@code
 * KeyStore ks = KeyStore.getInstance("Keyring");
 * ks.load(slotProperties, krcoPassword);
 * SSLContext tls = KeyringAliasKeyManager.sslContext(ks, krcoPassword, "web-ec");
 *
 * // or, with both sides and your own trust managers
 * KeyringAliasKeyManager km =
 *     KeyringAliasKeyManager.builder(ks, krcoPassword).serverAlias("web-ec").clientAlias("mtls").build();
 * tls.init(new KeyManager[] {km}, trustManagers, null);
 * }</pre>
 *
 * <p>{@link Builder#build()} checks each configured alias and refuses, with a {@link
 * KeyStoreException} naming the alias and the rule, an alias the store does not hold, one that is
 * not a private key entry with an X.509 certificate chain, a key of a type TLS does not sign with
 * (RSA, RSASSA-PSS, EC, EdDSA), and a chain whose first certificate carries another key.
 */
public final class KeyringAliasKeyManager extends X509ExtendedKeyManager {
  /** The private key algorithms JSSE authenticates with. */
  private static final Set<String> TLS_KEY_TYPES =
      Set.of("RSA", "RSASSA-PSS", "EC", "EdDSA", "Ed25519", "Ed448");

  private final X509KeyManager delegate;
  private final X509ExtendedKeyManager extendedDelegate;
  private final Chosen server;
  private final Chosen client;

  /** A configured alias and the algorithm of its private key. */
  private record Chosen(String alias, String keyType) {
    boolean offers(String requested) {
      if (requested == null) {
        return false;
      }
      // SunX509 accepts "EC_EC"-style names: the key type, then the certificate's signature type
      int cut = requested.indexOf('_');
      String type = cut < 0 ? requested : requested.substring(0, cut);
      return type.equals(keyType) || (isEdDsa(type) && isEdDsa(keyType));
    }

    boolean offersAny(String[] requested) {
      return requested != null && Arrays.stream(requested).anyMatch(this::offers);
    }
  }

  private KeyringAliasKeyManager(X509KeyManager delegate, Chosen server, Chosen client) {
    this.delegate = delegate;
    this.extendedDelegate =
        delegate instanceof X509ExtendedKeyManager ? (X509ExtendedKeyManager) delegate : null;
    this.server = server;
    this.client = client;
  }

  /**
   * A builder over {@code keyStore} (loaded) whose private keys are read with {@code password} (for
   * a Keyring KeyStore: the KRCO password, or {@code null}).
   */
  public static Builder builder(KeyStore keyStore, char[] password) {
    return new Builder(keyStore, password);
  }

  /**
   * A key manager that presents {@code alias} as a server; a client side keeps the JDK's choice.
   */
  public static KeyringAliasKeyManager forServer(KeyStore keyStore, char[] password, String alias)
      throws KeyStoreException, UnrecoverableKeyException, NoSuchAlgorithmException {
    return builder(keyStore, password).serverAlias(alias).build();
  }

  /**
   * A TLS {@link SSLContext} that presents {@code alias} of {@code keyStore} on both sides (as a
   * server, and as a client when a server asks for a certificate) and trusts the JDK's default
   * trust store.
   */
  public static SSLContext sslContext(KeyStore keyStore, char[] password, String alias)
      throws GeneralSecurityException {
    return sslContext(keyStore, password, alias, null);
  }

  /**
   * As {@link #sslContext(KeyStore, char[], String)}, trusting {@code trustManagers} ({@code null}:
   * the JDK's default trust store).
   */
  public static SSLContext sslContext(
      KeyStore keyStore, char[] password, String alias, TrustManager[] trustManagers)
      throws GeneralSecurityException {
    KeyringAliasKeyManager km =
        builder(keyStore, password).serverAlias(alias).clientAlias(alias).build();
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(new KeyManager[] {km}, trustManagers, null);
    return tls;
  }

  /** The alias presented as a server, or {@code null} when the JDK chooses. */
  public String serverAlias() {
    return server == null ? null : server.alias();
  }

  /** The alias presented as a client, or {@code null} when the JDK chooses. */
  public String clientAlias() {
    return client == null ? null : client.alias();
  }

  // ---- server side

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    if (server == null) {
      return delegate.getServerAliases(keyType, issuers);
    }
    return server.offers(keyType) ? new String[] {server.alias()} : null;
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    if (server == null) {
      return delegate.chooseServerAlias(keyType, issuers, socket);
    }
    return server.offers(keyType) ? server.alias() : null;
  }

  @Override
  public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
    if (server == null) {
      return extendedDelegate == null
          ? null
          : extendedDelegate.chooseEngineServerAlias(keyType, issuers, engine);
    }
    return server.offers(keyType) ? server.alias() : null;
  }

  // ---- client side

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    if (client == null) {
      return delegate.getClientAliases(keyType, issuers);
    }
    return client.offers(keyType) ? new String[] {client.alias()} : null;
  }

  @Override
  public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
    if (client == null) {
      return delegate.chooseClientAlias(keyTypes, issuers, socket);
    }
    return client.offersAny(keyTypes) ? client.alias() : null;
  }

  @Override
  public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
    if (client == null) {
      return extendedDelegate == null
          ? null
          : extendedDelegate.chooseEngineClientAlias(keyTypes, issuers, engine);
    }
    return client.offersAny(keyTypes) ? client.alias() : null;
  }

  // ---- keys and chains, from the JDK's key manager

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    return delegate.getCertificateChain(alias);
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    return delegate.getPrivateKey(alias);
  }

  @Override
  public String toString() {
    return "KeyringAliasKeyManager[server=" + serverAlias() + ", client=" + clientAlias() + "]";
  }

  private static boolean isEdDsa(String type) {
    return type.equals("EdDSA") || type.equals("Ed25519") || type.equals("Ed448");
  }

  /** Which aliases to present; validated by {@link #build()}. */
  public static final class Builder {
    private final KeyStore keyStore;
    private final char[] password;
    private String serverAlias;
    private String clientAlias;

    private Builder(KeyStore keyStore, char[] password) {
      this.keyStore = Objects.requireNonNull(keyStore, "keyStore");
      this.password = password == null ? null : password.clone();
    }

    /** The alias presented whenever the context acts as a TLS server. */
    public Builder serverAlias(String alias) {
      this.serverAlias = requireAlias("serverAlias", alias);
      return this;
    }

    /** The alias presented whenever the context acts as a TLS client asked for a certificate. */
    public Builder clientAlias(String alias) {
      this.clientAlias = requireAlias("clientAlias", alias);
      return this;
    }

    /**
     * Checks each configured alias and builds the key manager.
     *
     * @throws KeyStoreException an alias the store does not hold, not a private key entry with an
     *     X.509 chain, a key type TLS does not sign with, or a certificate for another key; the
     *     store not loaded
     * @throws UnrecoverableKeyException the password does not recover the store's keys
     * @throws NoSuchAlgorithmException the JDK's {@code SunX509} key manager is missing
     * @throws IllegalStateException neither alias was set
     */
    public KeyringAliasKeyManager build()
        throws KeyStoreException, UnrecoverableKeyException, NoSuchAlgorithmException {
      if (serverAlias == null && clientAlias == null) {
        throw new IllegalStateException(
            "set serverAlias or clientAlias (or both): a key manager that chooses nothing is the"
                + " JDK's own");
      }
      String keyType = serverAlias == null ? null : check("serverAlias", serverAlias);
      Chosen server = serverAlias == null ? null : new Chosen(serverAlias, keyType);
      String clientType = clientAlias == null ? null : check("clientAlias", clientAlias);
      Chosen client = clientAlias == null ? null : new Chosen(clientAlias, clientType);
      KeyManagerFactory kmf = KeyManagerFactory.getInstance("SunX509");
      kmf.init(keyStore, password);
      X509KeyManager delegate = null;
      for (KeyManager km : kmf.getKeyManagers()) {
        if (km instanceof X509KeyManager) {
          delegate = (X509KeyManager) km;
        }
      }
      if (delegate == null) {
        throw new NoSuchAlgorithmException(
            "the SunX509 key manager factory gave no X509KeyManager");
      }
      for (Chosen c : new Chosen[] {server, client}) {
        if (c != null && delegate.getPrivateKey(c.alias()) == null) {
          throw new KeyStoreException(
              "the JDK's key manager did not take alias '"
                  + c.alias()
                  + "' (its chain is not X.509, or its key was not readable)");
        }
      }
      return new KeyringAliasKeyManager(delegate, server, client);
    }

    /** The key type of {@code alias}, or a KeyStoreException saying what it lacks. */
    private String check(String option, String alias)
        throws KeyStoreException, UnrecoverableKeyException, NoSuchAlgorithmException {
      if (!keyStore.containsAlias(alias)) {
        throw new KeyStoreException(
            option
                + " '"
                + alias
                + "' is not in the "
                + keyStore.getType()
                + " KeyStore; its aliases are "
                + java.util.Collections.list(keyStore.aliases()));
      }
      if (!keyStore.entryInstanceOf(alias, KeyStore.PrivateKeyEntry.class)) {
        throw new KeyStoreException(
            option
                + " '"
                + alias
                + "' is not a private key entry (a TLS identity needs a private key and its"
                + " certificate)");
      }
      Key key = keyStore.getKey(alias, password);
      if (!(key instanceof PrivateKey)) {
        throw new KeyStoreException(option + " '" + alias + "' holds no private key");
      }
      String type = key.getAlgorithm();
      if (!TLS_KEY_TYPES.contains(type)) {
        throw new KeyStoreException(
            option
                + " '"
                + alias
                + "' is a "
                + type
                + " key; TLS authenticates with RSA, RSASSA-PSS, EC or EdDSA keys");
      }
      Certificate[] chain = keyStore.getCertificateChain(alias);
      if (chain == null || chain.length == 0 || !(chain[0] instanceof X509Certificate)) {
        throw new KeyStoreException(
            option
                + " '"
                + alias
                + "' has no X.509 certificate chain: store the key with its certificate"
                + " (KeyStore.setKeyEntry(alias, key, password, chain))");
      }
      PublicKey certified = chain[0].getPublicKey();
      boolean sameType =
          certified.getAlgorithm().equals(type)
              || (isEdDsa(type) && isEdDsa(certified.getAlgorithm()));
      if (!sameType) {
        throw new KeyStoreException(
            option
                + " '"
                + alias
                + "': its key is "
                + type
                + " but its certificate carries a "
                + certified.getAlgorithm()
                + " key");
      }
      if (key instanceof KeyringPrivateKey
          && !Arrays.equals(
              ((KeyringPrivateKey) key).publicKey().getEncoded(), certified.getEncoded())) {
        throw new KeyStoreException(
            option
                + " '"
                + alias
                + "': its certificate ("
                + ((X509Certificate) chain[0]).getSubjectX500Principal()
                + ") carries another public key than the keyring key's");
      }
      return type;
    }

    private static String requireAlias(String option, String alias) {
      if (alias == null || alias.isEmpty()) {
        throw new IllegalArgumentException(option + " must name a KeyStore alias, got " + alias);
      }
      return alias;
    }
  }
}
