package dev.keyring.sim.boundary;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.sim.boundary.SealedIdentities.Identity;
import dev.keyring.store.KeyringStore;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import javax.net.ssl.SSLContext;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;

/**
 * The public-key infrastructure of one member, kept inside the boundary: the appliance's own TLS
 * identity (admin API), the cluster CA, the member's certificate for the crypto API, client
 * certificates issued from CSRs, and revocation. Private keys are generated here, persisted only
 * sealed (appliance and member keys under the device key, the cluster CA key under the SMK, so that
 * every member holding the SMK can use it), and leave this package only inside the KeyManager of an
 * {@link SSLContext}. What callers get is certificates and contexts.
 *
 * <p>This is the façade of the PKI: {@link SealedIdentities} stores the identities, {@link
 * CertificateIssuer} makes keys and certificates, {@link CsrPolicy} decides which CSRs are
 * accepted, {@link RevocationList} keeps the revoked serial numbers, {@link PkiTls} builds the TLS
 * contexts.
 *
 * <p>Opened with {@link #open(Boundary, KeyringStore)} over the member's boundary, whose SMK vault
 * seals its keys; the appliance owns one. Thread-safe.
 */
public final class MemberPki {
  /** The most a client certificate may be valid for. */
  public static final Duration MAX_CLIENT_VALIDITY = CsrPolicy.MAX_VALIDITY;

  private static final Duration RENEW_BEFORE = Duration.ofDays(30);

  private final KeyringStore store;
  private final SecureRandom random;
  private final SealedIdentities identities;
  private final CertificateIssuer issuer;
  private final RevocationList revocations;

  /**
   * The PKI of the member whose boundary is {@code boundary} and whose store is {@code store}.
   * Reads the revocation list: CKR_DEVICE_ERROR when the stored one is damaged.
   */
  public static MemberPki open(Boundary boundary, KeyringStore store) {
    return new MemberPki(store, boundary.vault(), boundary.drbg().secureRandom());
  }

  MemberPki(KeyringStore store, SmkVault vault, SecureRandom random) {
    this.store = Objects.requireNonNull(store, "store");
    this.random = Objects.requireNonNull(random, "random");
    this.identities = new SealedIdentities(store, Objects.requireNonNull(vault, "vault"));
    this.issuer = new CertificateIssuer(random);
    this.revocations = new RevocationList(store);
  }

  /** The stored identities, for this package's tests of sealing. */
  SealedIdentities identities() {
    return identities;
  }

  // ---------------------------------------------------------------- appliance identity

  /**
   * The appliance's TLS certificate for the admin API: self-signed, EC P-256, CN {@code
   * LNH-<serial>}, SAN IP 127.0.0.1 and DNS localhost, valid 10 years (from a day ago). Created on
   * first use and kept across restarts; a different serial (a new HSM on this store) gets a new
   * one.
   */
  public synchronized X509Certificate applianceCertificate(String applianceSerial) {
    return applianceIdentity(applianceSerial).certificate;
  }

  /** A TLS server context with the appliance identity, for the admin API (no client auth). */
  public SSLContext adminServerContext(String applianceSerial) {
    Identity id;
    synchronized (this) {
      id = applianceIdentity(applianceSerial);
    }
    PrivateKey key = identities.openKey(SealedIdentities.APPLIANCE, id, false);
    return PkiTls.serverContext(
        key, new X509Certificate[] {id.certificate}, PkiTls.trustNothing(), random, () -> 0);
  }

  private Identity applianceIdentity(String applianceSerial) {
    requireText(applianceSerial, "the appliance serial number");
    String cn = "LNH-" + applianceSerial;
    Optional<Identity> existing = identities.read(SealedIdentities.APPLIANCE);
    if (existing.isPresent() && existing.get().owner.equals(cn)) {
      return existing.get();
    }
    KeyPair kp = issuer.generateEc("secp256r1");
    X509Certificate cert = issuer.appliance(cn, kp);
    return identities.store(SealedIdentities.APPLIANCE, cn, cert, kp.getPrivate(), false);
  }

  // ---------------------------------------------------------------- cluster CA

  /**
   * Creates the cluster CA (EC P-384, self-signed, CA, keyCertSign and cRLSign, 10 years) when the
   * cluster is created; its key is sealed under the SMK, which must be loaded. Calling it again for
   * the same cluster returns the CA it already has; for another cluster it replaces it.
   */
  public synchronized X509Certificate createClusterCa(UUID clusterId, String clusterLabel) {
    Objects.requireNonNull(clusterId, "clusterId");
    requireText(clusterLabel, "the cluster label");
    identities.requireSmk();
    Optional<Identity> existing = identities.read(SealedIdentities.CLUSTER_CA);
    if (existing.isPresent() && existing.get().owner.equals(clusterId.toString())) {
      return existing.get().certificate;
    }
    KeyPair kp = issuer.generateEc("secp384r1");
    X509Certificate cert = issuer.clusterCa(clusterId, clusterLabel, kp);
    identities.store(
        SealedIdentities.CLUSTER_CA, clusterId.toString(), cert, kp.getPrivate(), true);
    return cert;
  }

  /** Whether this member holds a cluster CA. */
  public boolean hasClusterCa() {
    return identities.read(SealedIdentities.CLUSTER_CA).isPresent();
  }

  /** The cluster CA certificate; CKR_FUNCTION_FAILED when there is none. */
  public X509Certificate clusterCaCertificate() {
    return requireCa().certificate;
  }

  /**
   * The cluster CA in the form a joining member installs with {@link #installClusterCa(byte[])}:
   * the certificate and the key sealed under the SMK. Useless without the SMK.
   */
  public byte[] exportClusterCa() {
    return SealedIdentities.encode(requireCa());
  }

  /**
   * Installs the cluster CA of the cluster this member joins (from {@link #exportClusterCa()} on a
   * member of it). The SMK must be loaded and the CA key must open under it and match the
   * certificate; otherwise nothing changes.
   */
  public synchronized X509Certificate installClusterCa(byte[] exported) {
    identities.requireSmk();
    Identity id;
    try {
      id = SealedIdentities.decode(SealedIdentities.CLUSTER_CA, exported);
    } catch (HsmException e) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD, "the exported cluster CA is not valid: " + e.detail());
    }
    PrivateKey key = identities.openKey(SealedIdentities.CLUSTER_CA, id, true);
    SealedIdentities.requireKeyMatches(key, id.certificate, "the exported cluster CA");
    identities.write(SealedIdentities.CLUSTER_CA, id);
    return id.certificate;
  }

  // ---------------------------------------------------------------- member certificate

  /**
   * This member's certificate for the crypto API, issued by the cluster CA: EC P-256, CN {@code
   * memberName}, SAN IP 127.0.0.1 and DNS localhost, serverAuth. Issued on first use and again when
   * the CA or the name changed or it expires within 30 days.
   */
  public synchronized X509Certificate memberCertificate(String memberName) {
    return memberIdentity(memberName).certificate;
  }

  /**
   * A TLS server context for the crypto API: the member certificate (with the CA certificate in its
   * chain), and a trust manager that accepts only client certificates issued by the cluster CA,
   * with the clientAuth extended key usage, not revoked (checked at every full handshake). The
   * caller requires client authentication ({@code needClientAuth}).
   *
   * <p>A revocation also makes the context drop every TLS session established before it (new
   * session cache and ticket keys for the engines and connections made afterwards), so a revoked
   * client cannot come back by resuming a session. A connection already open stays open: check
   * {@link #isRevoked(BigInteger)} per request (or close it) where revocation must take effect at
   * once.
   */
  public SSLContext cryptoServerContext(String memberName) {
    Identity member;
    X509Certificate ca;
    synchronized (this) {
      member = memberIdentity(memberName);
      ca = requireCa().certificate;
    }
    PrivateKey key = identities.openKey(SealedIdentities.MEMBER, member, false);
    return PkiTls.serverContext(
        key,
        new X509Certificate[] {member.certificate, ca},
        new ClusterClientTrustManager(ca, this::isRevoked),
        random,
        revocations::generation);
  }

  /**
   * A TLS client context for calls to other members of the cluster: this member's certificate
   * (serverAuth and clientAuth) with the CA in its chain, trusting only servers whose certificate
   * the cluster CA issued.
   */
  public SSLContext peerClientContext(String memberName) {
    Identity member;
    X509Certificate ca;
    synchronized (this) {
      member = memberIdentity(memberName);
      ca = requireCa().certificate;
    }
    PrivateKey key = identities.openKey(SealedIdentities.MEMBER, member, false);
    return PkiTls.clientContext(key, new X509Certificate[] {member.certificate, ca}, ca, random);
  }

  /** SHA-256 of this member's certificate (hex), as other members know it by. */
  public String memberCertificateFingerprint(String memberName) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256")
                  .digest(memberCertificate(memberName).getEncoded()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private Identity memberIdentity(String memberName) {
    requireText(memberName, "the member name");
    Identity ca = requireCa();
    Optional<Identity> existing = identities.read(SealedIdentities.MEMBER);
    if (existing.isPresent()
        && existing.get().owner.equals(memberName)
        && CertificateIssuer.issuedBy(existing.get().certificate, ca.certificate)
        && CertificateIssuer.hasClientAuth(existing.get().certificate)
        && existing
            .get()
            .certificate
            .getNotAfter()
            .toInstant()
            .isAfter(Instant.now().plus(RENEW_BEFORE))) {
      return existing.get();
    }
    PrivateKey caKey = identities.openKey(SealedIdentities.CLUSTER_CA, ca, true);
    KeyPair kp = issuer.generateEc("secp256r1");
    X509Certificate cert = issuer.member(ca.certificate, caKey, memberName, kp.getPublic());
    return identities.store(SealedIdentities.MEMBER, memberName, cert, kp.getPrivate(), false);
  }

  // ---------------------------------------------------------------- client certificates

  /**
   * Issues a client certificate (clientAuth) from a PKCS#10 CSR, signed by the cluster CA, with a
   * random 128-bit serial number, valid from a day ago for {@code validity} (at most {@link
   * #MAX_CLIENT_VALIDITY}, and never past the CA's own end). The CSR's signature must verify, its
   * subject must hold exactly one CN equal to {@code expectedCn}, and its key must be RSA of 2,048
   * bits or more or EC on P-256, P-384 or P-521. Every refusal is CKR_ARGUMENTS_BAD.
   */
  public X509Certificate issueClientCertificate(
      byte[] pkcs10Der, String expectedCn, Duration validity) {
    requireText(expectedCn, "the expected CN");
    PKCS10CertificationRequest csr = CsrPolicy.accept(pkcs10Der, expectedCn, validity);
    Identity ca;
    synchronized (this) {
      ca = requireCa();
    }
    PrivateKey caKey = identities.openKey(SealedIdentities.CLUSTER_CA, ca, true);
    return issuer.client(ca.certificate, caKey, csr, validity);
  }

  // ---------------------------------------------------------------- revocation

  /**
   * What restores this member's cluster CA and member certificate to what they are now (kept
   * sealed, as stored): a join that fails part-way runs it. The revocation list kept here is
   * restored too.
   */
  public synchronized Runnable clusterIdentitiesRestorer() {
    List<String> rows =
        List.of(SealedIdentities.CLUSTER_CA, SealedIdentities.MEMBER, RevocationList.ROW);
    java.util.Map<String, Optional<byte[]>> saved = new java.util.LinkedHashMap<>();
    for (String row : rows) {
      saved.put(row, store.hsmState(row));
    }
    return () -> {
      synchronized (this) {
        store.write(
            tx -> {
              saved.forEach(
                  (row, value) -> {
                    if (value.isPresent()) {
                      tx.putHsmState(row, value.get());
                    } else {
                      tx.deleteHsmState(row);
                    }
                  });
              return null;
            });
        revocations.reload();
      }
    };
  }

  /**
   * Forgets everything this member holds for its cluster (factory reset of the cluster service):
   * the cluster CA, the member certificate and the revocation list. The appliance identity stays.
   */
  public synchronized void forgetCluster() {
    store.write(
        tx -> {
          tx.deleteHsmState(SealedIdentities.CLUSTER_CA);
          tx.deleteHsmState(SealedIdentities.MEMBER);
          tx.deleteHsmState(RevocationList.ROW);
          return null;
        });
    revocations.reload();
  }

  /**
   * Revokes a certificate serial number on this member alone; persisted, and refused at the next
   * handshake of the crypto API. Returns false when it was already revoked. A cluster's revocations
   * are replicated state instead (see {@link #clusterRevocations}).
   */
  public synchronized boolean revoke(BigInteger serial) {
    return revocations.revoke(serial);
  }

  /**
   * The serial numbers the cluster's replicated client list holds revoked now (replacing the set
   * given before). A certificate among them is refused at the next handshake, and TLS sessions
   * established before are dropped when one is new.
   *
   * @return the serials revoked now that were not before, ascending
   */
  public List<BigInteger> clusterRevocations(java.util.Set<BigInteger> revoked) {
    return revocations.replicated(revoked);
  }

  public boolean isRevoked(BigInteger serial) {
    return revocations.isRevoked(serial);
  }

  /** The revoked serial numbers, ascending. */
  public List<BigInteger> revokedSerials() {
    return revocations.serials();
  }

  private Identity requireCa() {
    return identities
        .read(SealedIdentities.CLUSTER_CA)
        .orElseThrow(
            () ->
                new HsmException(
                    ResultCode.CKR_FUNCTION_FAILED,
                    "this member has no cluster CA: create or join a cluster first"));
  }

  private static void requireText(String s, String what) {
    if (s == null || s.isBlank()) {
      throw new HsmException(ResultCode.CKR_ARGUMENTS_BAD, what + " is required");
    }
  }

  @Override
  public String toString() {
    return "MemberPki[revoked=" + revocations.size() + "]";
  }
}
