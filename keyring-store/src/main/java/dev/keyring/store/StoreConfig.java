package dev.keyring.store;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * How to reach a member's database. Immutable; built by {@link #builder()} and validated at {@link
 * Builder#build()}. H2 file databases are the default ({@link #h2File(Path)}); PostgreSQL is
 * reached by a {@code jdbc:postgresql:} URL.
 *
 * <p>{@link #toString()} never shows the password or the user, whether they were given to the
 * builder or inside the URL.
 */
public final class StoreConfig {
  /** The smallest pool size {@link Builder#build()} accepts. */
  public static final int MIN_POOL_SIZE = 1;

  /** The largest pool size {@link Builder#build()} accepts. */
  public static final int MAX_POOL_SIZE = 64;

  /**
   * The settings {@link #h2File(Path)} appends to its URL.
   *
   * <ul>
   *   <li>{@code WRITE_DELAY=0}: H2's MVStore has no redo log; with its default write delay (500
   *       ms) a commit reaches the file only when the background writer next runs, so a {@code kill
   *       -9} shortly after a commit loses it (the kill -9 test shows this). With 0, every commit
   *       writes its changes to the file before it returns, which survives the death of the process
   *       (the data is in the OS's page cache). H2 does not fsync each commit: after a power
   *       failure or OS crash the last commits (those the OS had not yet written back) can be lost.
   *   <li>{@code RETENTION_TIME=45000} (H2's default, made explicit): space of old file chunks is
   *       reused only after 45 s, longer than the OS takes to write back, which is what H2 relies
   *       on to keep the file consistent after a power failure. The cost: while open, the file
   *       holds up to 45 s worth of commits (about 17 KiB per small commit, measured), and it
   *       shrinks again when the store closes.
   *   <li>{@code FILE_LOCK=FS}: the lock is an OS file lock, released by the OS when the process
   *       dies, so a database left by {@code kill -9} reopens at once (no stale lock file).
   *   <li>{@code DB_CLOSE_DELAY=0}: the database closes (and releases its lock) when the store's
   *       pool closes its last connection; the pool keeps at least one open while the store is.
   *   <li>{@code DB_CLOSE_ON_EXIT=FALSE}: H2's shutdown hook does not close the database under a
   *       store still in use; every commit is already in the file, so nothing is lost.
   *   <li>{@code LOCK_TIMEOUT=10000}: a writer waits up to 10 s for a row another writer holds.
   *   <li>{@code QUERY_CACHE_SIZE=0}: no per-connection cache of query results. With it, a pooled
   *       connection could answer the log's last position from a result cached before another
   *       connection committed the next entry: a follower then saw its store "diverge" from the log
   *       it had just applied (about one run in two of 600 writes, in LogCompactionTest).
   * </ul>
   */
  public static final String H2_FILE_SETTINGS =
      ";WRITE_DELAY=0;RETENTION_TIME=45000;FILE_LOCK=FS;DB_CLOSE_DELAY=0;DB_CLOSE_ON_EXIT=FALSE"
          + ";LOCK_TIMEOUT=10000;QUERY_CACHE_SIZE=0";

  /** The database file name (without H2's {@code .mv.db} suffix) {@link #h2File} uses. */
  public static final String H2_FILE_NAME = "keyring";

  private static final Pattern SCHEMA = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}");
  private static final Pattern URL_CREDENTIAL =
      Pattern.compile("(?i)([?&;](?:user|password)=)[^&;]*");
  private static final Pattern URL_USERINFO = Pattern.compile("//[^/?#]*@");

  private final String jdbcUrl;
  private final String username;
  private final String password;
  private final String schema;
  private final int maxPoolSize;

  private StoreConfig(Builder b) {
    this.jdbcUrl = b.jdbcUrl;
    this.username = b.username;
    this.password = b.password;
    this.schema = b.schema;
    this.maxPoolSize = b.maxPoolSize;
  }

  /**
   * An H2 file database {@code directory/keyring} (the directory is created if absent, and made
   * owner-only where the file system has POSIX permissions: it holds password verifiers), with the
   * settings of {@link #H2_FILE_SETTINGS}, user {@code sa} and an empty password. The store makes
   * the database's files owner-only when it opens and closes them.
   *
   * @throws UncheckedIOException when the directory cannot be created
   * @throws IllegalArgumentException when the directory's path contains a {@code ;}, which H2 URLs
   *     cannot carry
   */
  public static StoreConfig h2File(Path directory) {
    Objects.requireNonNull(directory, "directory");
    Path dir = directory.toAbsolutePath().normalize();
    if (dir.toString().indexOf(';') >= 0) {
      throw new IllegalArgumentException(
          "an H2 database directory may not contain ';', got '" + dir + "'");
    }
    OwnerOnlyFiles.directory(dir);
    String path = dir.resolve(H2_FILE_NAME).toString().replace('\\', '/');
    return builder()
        .jdbcUrl("jdbc:h2:file:" + path + H2_FILE_SETTINGS)
        .username("sa")
        .password("")
        .build();
  }

  /** A new builder with no URL, no credentials, no schema and a pool of 8. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding this configuration's settings, to derive a changed copy. */
  public Builder toBuilder() {
    return new Builder()
        .jdbcUrl(jdbcUrl)
        .username(username)
        .password(password)
        .schema(schema)
        .maxPoolSize(maxPoolSize);
  }

  /** The JDBC URL, as given (it may carry credentials: do not log it; log this config instead). */
  public String jdbcUrl() {
    return jdbcUrl;
  }

  /** The user name, or null to use the URL's. */
  public String username() {
    return username;
  }

  /** The password, or null to use the URL's. */
  public String password() {
    return password;
  }

  /** The schema the store's tables live in, or null for the connection's default. */
  public String schema() {
    return schema;
  }

  /** The most connections the store's pool opens. */
  public int maxPoolSize() {
    return maxPoolSize;
  }

  /** Whether the URL is an H2 URL (otherwise it is a PostgreSQL one). */
  boolean isH2() {
    return jdbcUrl.startsWith("jdbc:h2:");
  }

  /**
   * The database file of an H2 file URL with an absolute path, without H2's suffixes ({@code
   * .mv.db}, {@code .trace.db}); empty for other URLs.
   */
  Optional<Path> h2FileBase() {
    String prefix = "jdbc:h2:file:";
    if (!jdbcUrl.startsWith(prefix)) {
      return Optional.empty();
    }
    int end = jdbcUrl.indexOf(';');
    String file = jdbcUrl.substring(prefix.length(), end < 0 ? jdbcUrl.length() : end);
    try {
      Path p = Path.of(file);
      return p.isAbsolute() && p.getParent() != null ? Optional.of(p) : Optional.empty();
    } catch (java.nio.file.InvalidPathException e) {
      return Optional.empty();
    }
  }

  /** The URL with any user and password in it replaced by {@code ***}. */
  String redactedUrl() {
    String u = URL_CREDENTIAL.matcher(jdbcUrl).replaceAll("$1***");
    return URL_USERINFO.matcher(u).replaceAll("//***@");
  }

  /** The URL without credentials, and the schema if one is set. */
  @Override
  public String toString() {
    return "StoreConfig["
        + redactedUrl()
        + (schema == null ? "" : " schema " + schema)
        + " pool "
        + maxPoolSize
        + "]";
  }

  /** Collects settings; {@link #build()} checks them. */
  public static final class Builder {
    private String jdbcUrl;
    private String username;
    private String password;
    private String schema;
    private int maxPoolSize = 8;

    private Builder() {}

    /** The JDBC URL: {@code jdbc:h2:...} or {@code jdbc:postgresql:...}. Required. */
    public Builder jdbcUrl(String v) {
      this.jdbcUrl = v;
      return this;
    }

    /** The user name; null (the default) leaves it to the URL. */
    public Builder username(String v) {
      this.username = v;
      return this;
    }

    /** The password; null (the default) leaves it to the URL. */
    public Builder password(String v) {
      this.password = v;
      return this;
    }

    /**
     * The schema to keep the tables in, created at open if missing; null (the default) uses the
     * connection's default schema. It must match {@code [A-Za-z_][A-Za-z0-9_]{0,62}} and is used
     * exactly as written (case-sensitive) on both databases.
     */
    public Builder schema(String v) {
      this.schema = v;
      return this;
    }

    /** The most connections the pool opens, 1 to 64 (default 8). */
    public Builder maxPoolSize(int v) {
      this.maxPoolSize = v;
      return this;
    }

    /**
     * Checks the settings and builds the configuration.
     *
     * @throws NullPointerException when no URL was set
     * @throws IllegalArgumentException naming the setting, the value and the rule when a setting is
     *     out of bounds
     */
    public StoreConfig build() {
      Objects.requireNonNull(jdbcUrl, "jdbcUrl");
      if (!jdbcUrl.startsWith("jdbc:h2:") && !jdbcUrl.startsWith("jdbc:postgresql:")) {
        String shown = new StoreConfig(this).redactedUrl();
        throw new IllegalArgumentException(
            "jdbcUrl must start with jdbc:h2: or jdbc:postgresql:, got '" + shown + "'");
      }
      if (maxPoolSize < MIN_POOL_SIZE || maxPoolSize > MAX_POOL_SIZE) {
        throw new IllegalArgumentException(
            "maxPoolSize must be between "
                + MIN_POOL_SIZE
                + " and "
                + MAX_POOL_SIZE
                + ", got "
                + maxPoolSize);
      }
      if (schema != null && !SCHEMA.matcher(schema).matches()) {
        throw new IllegalArgumentException(
            "schema must match [A-Za-z_][A-Za-z0-9_]{0,62} (a letter or _, then up to 62 letters,"
                + " digits or _), got '"
                + schema
                + "'");
      }
      return new StoreConfig(this);
    }
  }
}
