package dev.keyring.client.internal.transport;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.HostnameVerifier;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Checks the name on a member's certificate. The chain itself was already checked by the trust
 * manager, against the cluster CA only (never the JDK's authorities), so only a certificate the
 * cluster issued gets here. One verifier exists per member transport, with the name that member's
 * certificate must carry: the configured server name ({@code LNHServerCNNN}) for the member this
 * client registered with, the member's {@code name} from the cluster view for the others.
 *
 * <p>The certificate is accepted when
 *
 * <ol>
 *   <li>it may serve TLS: if it has an extendedKeyUsage, that includes serverAuth. Client
 *       certificates come from the same cluster CA with clientAuth only, and a client chooses its
 *       own CN at registration, so without this rule a client certificate named like a member would
 *       pass the name check (the JDK's PKIX trust manager refuses it too; the rule is kept here so
 *       that it cannot be lost with a trust manager change), and
 *   <li>it names the expected member name in its subject CN or in a subjectAltName (DNS or IP), or,
 *       failing that, its subjectAltName (not its CN) covers the host the client connected to: so
 *       {@code 127.0.0.1} matches an IP SAN of 127.0.0.1 and {@code localhost} a DNS SAN of
 *       localhost. The second form lets a client reach a member by an address its certificate lists
 *       when the view's name and the certificate's CN are spelled differently.
 * </ol>
 *
 * A wildcard DNS SAN covers exactly one left-most label; IP literals are compared as addresses,
 * never looked up.
 */
final class ServerNameVerifier implements HostnameVerifier {
  private static final int SAN_DNS = 2;
  private static final int SAN_IP = 7;

  private final String serverName;

  ServerNameVerifier(String serverName) {
    this.serverName = Objects.requireNonNull(serverName, "serverName");
  }

  @Override
  public boolean verify(String host, SSLSession session) {
    try {
      Certificate[] chain = session.getPeerCertificates();
      if (chain.length == 0 || !(chain[0] instanceof X509Certificate)) {
        return false;
      }
      return matches((X509Certificate) chain[0], host);
    } catch (SSLPeerUnverifiedException e) {
      return false;
    }
  }

  /** Whether {@code cert} is acceptable for a connection to {@code host}. */
  boolean matches(X509Certificate cert, String host) {
    if (!mayServeTls(cert)) {
      return false;
    }
    List<String> dns = new ArrayList<>();
    List<InetAddress> ips = new ArrayList<>();
    subjectAltNames(cert, dns, ips);
    for (String cn : commonNames(cert)) {
      if (cn.equalsIgnoreCase(serverName)) {
        return true;
      }
    }
    return nameMatches(serverName, dns, ips) || nameMatches(host, dns, ips);
  }

  private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";

  /** No extendedKeyUsage (any use), or one that includes serverAuth. */
  private static boolean mayServeTls(X509Certificate cert) {
    try {
      List<String> eku = cert.getExtendedKeyUsage();
      return eku == null || eku.contains(SERVER_AUTH);
    } catch (CertificateParsingException e) {
      return false;
    }
  }

  private static boolean nameMatches(String name, List<String> dns, List<InetAddress> ips) {
    if (name == null || name.isEmpty()) {
      return false;
    }
    InetAddress literal = ipLiteral(name);
    if (literal != null) {
      return ips.contains(literal);
    }
    String n = stripDot(name.toLowerCase(Locale.ROOT));
    for (String pattern : dns) {
      String p = stripDot(pattern.toLowerCase(Locale.ROOT));
      if (p.equals(n)) {
        return true;
      }
      // a wildcard stands for exactly one whole left-most label: *.example.com
      if (p.startsWith("*.") && p.indexOf('*', 1) < 0) {
        String suffix = p.substring(1);
        if (n.endsWith(suffix)) {
          String label = n.substring(0, n.length() - suffix.length());
          if (!label.isEmpty() && label.indexOf('.') < 0) {
            return true;
          }
        }
      }
    }
    return false;
  }

  private static String stripDot(String s) {
    return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
  }

  /** The address an IPv4 or IPv6 literal names, without any lookup; null for a host name. */
  static InetAddress ipLiteral(String s) {
    String t = s.startsWith("[") && s.endsWith("]") ? s.substring(1, s.length() - 1) : s;
    boolean v4 = t.matches("\\d{1,3}(\\.\\d{1,3}){3}");
    boolean v6 = t.indexOf(':') >= 0 && t.matches("[0-9A-Fa-f:.%a-zA-Z]+");
    if (!v4 && !v6) {
      return null;
    }
    try {
      return InetAddress.getByName(t); // a literal: no name service is asked
    } catch (UnknownHostException e) {
      return null;
    }
  }

  private static List<String> commonNames(X509Certificate cert) {
    List<String> out = new ArrayList<>();
    try {
      for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) {
          out.add(String.valueOf(rdn.getValue()));
        }
      }
    } catch (InvalidNameException e) {
      // no usable subject: only the subjectAltName can match
    }
    return out;
  }

  private static void subjectAltNames(
      X509Certificate cert, List<String> dns, List<InetAddress> ips) {
    Collection<List<?>> sans;
    try {
      sans = cert.getSubjectAlternativeNames();
    } catch (CertificateParsingException e) {
      return;
    }
    if (sans == null) {
      return;
    }
    for (List<?> san : sans) {
      if (san.size() < 2 || !(san.get(0) instanceof Integer) || !(san.get(1) instanceof String)) {
        continue;
      }
      int type = (Integer) san.get(0);
      String value = (String) san.get(1);
      if (type == SAN_DNS) {
        dns.add(value);
      } else if (type == SAN_IP) {
        InetAddress a = ipLiteral(value);
        if (a != null) {
          ips.add(a);
        }
      }
    }
  }
}
