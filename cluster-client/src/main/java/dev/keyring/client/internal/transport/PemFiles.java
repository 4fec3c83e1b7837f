package dev.keyring.client.internal.transport;

import dev.keyring.client.api.TransportException;
import dev.keyring.client.api.TransportException.Kind;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * Reads and writes the PEM files a registered client keeps: its certificate, its private key
 * (PKCS#8 {@code PRIVATE KEY}, or the older SEC1 {@code EC PRIVATE KEY} and PKCS#1 {@code RSA
 * PRIVATE KEY}) and the cluster CA. Every problem is a {@link TransportException} of kind {@link
 * Kind#CONFIGURATION} whose message names the file and says what was expected; it never repeats key
 * bytes.
 */
public final class PemFiles {
  private static final int MAX_FILE_BYTES = 1 << 20;

  private PemFiles() {}

  /** Every certificate in a PEM file, in file order; at least one. */
  public static List<X509Certificate> readCertificates(Path file, String what)
      throws TransportException {
    return parseCertificates(read(file, what), file + " (" + what + ")");
  }

  /** Every certificate in PEM text, in order; at least one. {@code source} names it in errors. */
  public static List<X509Certificate> parseCertificates(String pem, String source)
      throws TransportException {
    List<X509Certificate> out = new ArrayList<>();
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      CertificateFactory cf = CertificateFactory.getInstance("X.509");
      for (Object o = parser.readObject(); o != null; o = parser.readObject()) {
        if (o instanceof X509CertificateHolder) {
          byte[] der = ((X509CertificateHolder) o).getEncoded();
          out.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(der)));
        }
      }
    } catch (IOException | CertificateException | RuntimeException e) {
      throw config(source + " is not a valid PEM certificate file: " + reason(e), e);
    }
    if (out.isEmpty()) {
      throw config(source + " holds no '-----BEGIN CERTIFICATE-----' block");
    }
    return out;
  }

  /**
   * The private key in a PEM file: PKCS#8 ({@code PRIVATE KEY}), SEC1 ({@code EC PRIVATE KEY}) or
   * PKCS#1 ({@code RSA PRIVATE KEY}); RSA, EC or Ed25519. Encrypted keys are refused.
   */
  public static PrivateKey readPrivateKey(Path file, String what) throws TransportException {
    return parsePrivateKey(read(file, what), file + " (" + what + ")");
  }

  /** The private key in PEM text; see {@link #readPrivateKey}. */
  public static PrivateKey parsePrivateKey(String pem, String source) throws TransportException {
    PrivateKeyInfo info = null;
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      for (Object o = parser.readObject(); o != null; o = parser.readObject()) {
        if (o instanceof PEMEncryptedKeyPair || o instanceof PKCS8EncryptedPrivateKeyInfo) {
          throw config(
              source
                  + " holds an encrypted private key; the client needs it unencrypted"
                  + " (protect the file with mode 600 instead)");
        }
        PrivateKeyInfo found = null;
        if (o instanceof PrivateKeyInfo) {
          found = (PrivateKeyInfo) o;
        } else if (o instanceof PEMKeyPair) {
          found = ((PEMKeyPair) o).getPrivateKeyInfo();
        }
        if (found != null) {
          if (info != null) {
            throw config(source + " holds more than one private key; keep exactly one");
          }
          info = found;
        }
      }
    } catch (IOException | RuntimeException e) {
      throw config(source + " is not a valid PEM private key file: " + reason(e), e);
    }
    if (info == null) {
      throw config(
          source
              + " holds no private key (expected '-----BEGIN PRIVATE KEY-----',"
              + " '-----BEGIN EC PRIVATE KEY-----' or '-----BEGIN RSA PRIVATE KEY-----')");
    }
    ASN1ObjectIdentifier oid = info.getPrivateKeyAlgorithm().getAlgorithm();
    String algorithm;
    if (oid.equals(PKCSObjectIdentifiers.rsaEncryption)) {
      algorithm = "RSA";
    } else if (oid.equals(X9ObjectIdentifiers.id_ecPublicKey)) {
      algorithm = "EC";
    } else if (oid.equals(EdECObjectIdentifiers.id_Ed25519)) {
      algorithm = "Ed25519";
    } else {
      throw config(
          source + " holds a key of algorithm " + oid.getId() + "; use an RSA, EC or Ed25519 key");
    }
    try {
      return KeyFactory.getInstance(algorithm)
          .generatePrivate(new PKCS8EncodedKeySpec(info.getEncoded()));
    } catch (GeneralSecurityException | IOException | RuntimeException e) {
      throw config(source + " holds an " + algorithm + " key that cannot be read: " + reason(e), e);
    }
  }

  /** PEM text of one DER object, with 64-character lines and a final line break. */
  public static String toPem(String type, byte[] der) {
    String body =
        Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
  }

  private static String read(Path file, String what) throws TransportException {
    try {
      long size = Files.size(file);
      if (size > MAX_FILE_BYTES) {
        throw config(
            file + " (" + what + ") is " + size + " bytes; a PEM file here is far smaller");
      }
      try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII)) {
        StringBuilder sb = new StringBuilder((int) size);
        char[] buf = new char[8192];
        for (int n = r.read(buf); n >= 0; n = r.read(buf)) {
          sb.append(buf, 0, n);
        }
        return sb.toString();
      }
    } catch (java.nio.file.NoSuchFileException e) {
      String relative =
          file.isAbsolute()
              ? ""
              : ": a relative path is resolved against the working directory, so it is "
                  + file.toAbsolutePath();
      throw config(file + " (" + what + ") does not exist" + relative, e);
    } catch (java.nio.file.AccessDeniedException e) {
      throw config(file + " (" + what + ") cannot be read: permission denied", e);
    } catch (java.nio.charset.CharacterCodingException e) {
      throw config(file + " (" + what + ") is not PEM text (it holds non-ASCII bytes)", e);
    } catch (IOException e) {
      throw config(file + " (" + what + ") cannot be read: " + reason(e), e);
    }
  }

  private static String reason(Throwable e) {
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  private static TransportException config(String message) {
    return new TransportException(Kind.CONFIGURATION, message);
  }

  private static TransportException config(String message, Throwable cause) {
    return new TransportException(Kind.CONFIGURATION, message, cause);
  }
}
