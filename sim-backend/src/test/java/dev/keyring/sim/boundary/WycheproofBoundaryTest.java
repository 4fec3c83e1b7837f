package dev.keyring.sim.boundary;

import static org.junit.jupiter.api.DynamicContainer.dynamicContainer;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyring.sim.boundary.WycheproofFamily.Outcome;
import dev.keyring.sim.boundary.WycheproofFamily.Rejection;
import dev.keyring.testing.wycheproof.WycheproofFileRun;
import dev.keyring.testing.wycheproof.WycheproofRejection;
import dev.keyring.testing.wycheproof.WycheproofSubject;
import dev.keyring.testing.wycheproof.WycheproofVectors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the C2SP Wycheproof vectors through the {@link Boundary}: every operation under test happens
 * inside it, on keys brought in the way a client brings them (see {@link TestKeyring}).
 *
 * <p>The vectors are read as {@link WycheproofVectors} says; {@link WycheproofFileRun} runs each
 * file on its own keyring. Per file: "valid" cases must succeed with the expected output, "invalid"
 * ones must be refused with an {@code HsmException}, "acceptable" ones may go either way and are
 * counted, and cases the boundary deliberately does not offer are counted as not covered, with the
 * reason. Any other exception fails the case.
 */
class WycheproofBoundaryTest {
  private static final String SUITE = "Wycheproof suite";

  /** Each file and the family its groups belong to. */
  static final Map<String, WycheproofFamily> FILES = new LinkedHashMap<>();

  static {
    FILES.put("aes_gcm_test.json", WycheproofFamily.AES_GCM);
    FILES.put("aes_kwp_test.json", WycheproofFamily.AES_KWP);
    FILES.put("ecdh_secp256r1_test.json", WycheproofFamily.ECDH);
    FILES.put("ecdsa_secp256r1_sha256_test.json", WycheproofFamily.ECDSA);
    FILES.put("ecdsa_secp384r1_sha384_test.json", WycheproofFamily.ECDSA);
    FILES.put("ed25519_test.json", WycheproofFamily.ED25519);
    FILES.put("hmac_sha256_test.json", WycheproofFamily.HMAC);
    FILES.put("rsa_oaep_2048_sha256_mgf1sha256_test.json", WycheproofFamily.RSA_OAEP);
    FILES.put("rsa_pkcs1_2048_sig_gen_test.json", WycheproofFamily.RSA_PKCS1_SIGN);
    FILES.put("rsa_pss_2048_sha256_mgf1_32_test.json", WycheproofFamily.RSA_PSS_VERIFY);
    FILES.put("rsa_signature_2048_sha256_test.json", WycheproofFamily.RSA_PKCS1_VERIFY);
  }

  private static final AtomicBoolean ENGINES_PRINTED = new AtomicBoolean();

  private final List<BoundarySubject> subjects = new ArrayList<>();

  @TestFactory
  Stream<DynamicNode> wycheproof(@TempDir Path tmp) {
    Path dir = WycheproofVectors.dir();
    if (!Files.isDirectory(dir)) {
      WycheproofVectors.missing(SUITE, "Wycheproof vectors", dir);
    }
    return FILES.entrySet().stream()
        .map(
            e -> {
              Path file = dir.resolve(e.getKey());
              if (!Files.isRegularFile(file)) {
                return dynamicTest(
                    e.getKey(),
                    () -> WycheproofVectors.missing(SUITE, "Wycheproof file " + e.getKey(), file));
              }
              BoundarySubject subject = new BoundarySubject(e.getValue(), tmp.resolve(e.getKey()));
              subjects.add(subject);
              return dynamicContainer(
                  e.getKey(), new WycheproofFileRun("wycheproof", file, subject).tests());
            });
  }

  @AfterEach
  void closeKeyrings() {
    subjects.forEach(BoundarySubject::finish);
  }

  /** One vector file on its own keyring, opened at the first covered case. */
  private static final class BoundarySubject implements WycheproofSubject {
    private final WycheproofFamily family;
    private final Path workDir;
    private TestKeyring keyring;
    private RuntimeException openFailure;
    private boolean closed;

    BoundarySubject(WycheproofFamily family, Path workDir) {
      this.family = family;
      this.workDir = workDir;
    }

    @Override
    public String groupType() {
      return family.groupType();
    }

    @Override
    public String notCovered(JsonNode group, JsonNode test) {
      return family.notCovered(group, test);
    }

    @Override
    public Case prepare(JsonNode group, JsonNode test) {
      WycheproofFamily.Case c = new WycheproofFamily.Case(keyring(), group, test);
      return new Case() {
        @Override
        public void run() throws Exception {
          try {
            if (family.run(c) != Outcome.SUCCEEDED) {
              throw new WycheproofRejection("output mismatch");
            }
          } catch (Rejection r) {
            throw new WycheproofRejection(
                r.code == null ? "output mismatch" : r.code.name(), r.getMessage(), r);
          }
        }

        @Override
        public Exception cleanUp() {
          return c.destroyAll();
        }
      };
    }

    private TestKeyring keyring() {
      if (openFailure != null) {
        throw new IllegalStateException("the keyring could not be opened", openFailure);
      }
      if (keyring == null) {
        try {
          keyring = new TestKeyring(workDir);
        } catch (RuntimeException e) {
          openFailure = e;
          throw e;
        }
        if (ENGINES_PRINTED.compareAndSet(false, true)) {
          System.out.println(
              "wycheproof: boundary crypto engines (family, engine):\n"
                  + keyring.boundary.engines().describe());
        }
      }
      return keyring;
    }

    @Override
    public void finish() {
      if (!closed) {
        closed = true;
        if (keyring != null) {
          keyring.close();
        }
      }
    }
  }
}
