package dev.keyring.store;

import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.KeyType;
import dev.keyring.protocol.ObjectClass;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The child JVM of the kill -9 test: opens a store and, in a loop, commits transactions that each
 * create one keyring and three objects, printing {@code COMMITTED <keyringId>} (flushed) after each
 * commit returns. The parent kills it with SIGKILL while it writes.
 *
 * <p>Arguments: {@code h2 <directory> <schema>} for an H2 file database, or {@code postgresql
 * <schema>} for the database of the environment variable {@code KEYRING_TEST_JDBC_URL} (passed
 * through the environment so its password is not on the command line). It stops by itself after
 * {@link #MAX_TRANSACTIONS} transactions or {@link #MAX_SECONDS} seconds, should the parent be
 * gone.
 */
public final class KillWriterMain {
  /** Transactions after which the child stops by itself (well under the keyring limit). */
  static final int MAX_TRANSACTIONS = 3000;

  /** Seconds after which the child stops by itself. */
  static final int MAX_SECONDS = 120;

  private KillWriterMain() {}

  /**
   * Runs the writer.
   *
   * @param args see the class description
   */
  public static void main(String[] args) {
    StoreConfig config = configFrom(args);
    PrintStream out = System.out;
    try (KeyringStore store = KeyringStore.open(config)) {
      UUID cluster =
          store
              .cluster()
              .map(ClusterRecord::id)
              .orElseGet(
                  () -> store.write(tx -> tx.createCluster(UUID.randomUUID(), "kill-test")).id());
      out.println("READY");
      out.flush();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(MAX_SECONDS);
      for (int i = 0; i < MAX_TRANSACTIONS && System.nanoTime() < deadline; i++) {
        UUID keyringId = UUID.randomUUID();
        store.write(
            tx -> {
              tx.createKeyrings(
                  cluster,
                  List.of(
                      new KeyringRecord(
                          keyringId,
                          cluster,
                          "kill-" + keyringId,
                          "verifier",
                          true,
                          false,
                          false,
                          0,
                          Instant.now())));
              for (int j = 0; j < 3; j++) {
                tx.insertObject(
                    keyringId,
                    UUID.randomUUID(),
                    ObjectClass.SECRET_KEY,
                    Attributes.builder()
                        .objectClass(ObjectClass.SECRET_KEY)
                        .keyType(KeyType.AES)
                        .label("key-" + j)
                        .build(),
                    new byte[] {1, 2, 3, (byte) j});
              }
              return null;
            });
        out.println("COMMITTED " + keyringId);
        out.flush();
      }
      out.println("DONE");
      out.flush();
    }
  }

  /** The configuration the arguments describe. */
  static StoreConfig configFrom(String[] args) {
    if (args.length == 3 && args[0].equals("h2")) {
      return StoreConfig.h2File(Path.of(args[1])).toBuilder().schema(args[2]).build();
    }
    if (args.length == 2 && args[0].equals("postgresql")) {
      String url = System.getenv(PostgresKeyringStoreTest.URL_VARIABLE);
      if (url == null) {
        throw new IllegalStateException(PostgresKeyringStoreTest.URL_VARIABLE + " is not set");
      }
      return StoreConfig.builder().jdbcUrl(url).schema(args[1]).build();
    }
    throw new IllegalArgumentException(
        "usage: KillWriterMain h2 <directory> <schema> | postgresql <schema>");
  }
}
