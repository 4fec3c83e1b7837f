package dev.keyring.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Owner-only permissions for a member's state: its directories 700, its files 600, where the file
 * system has POSIX permissions (elsewhere nothing changes). The store's files hold password
 * verifiers and sealed keys; no other local user should read them, or even list them.
 */
public final class OwnerOnlyFiles {
  /** rwx------. */
  public static final Set<PosixFilePermission> DIRECTORY =
      PosixFilePermissions.fromString("rwx------");

  /** rw-------. */
  public static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");

  private OwnerOnlyFiles() {}

  /**
   * Creates {@code dir} (and missing parents) and makes it owner-only, whether it was new or not.
   *
   * @throws UncheckedIOException when it cannot be created or its permissions cannot be set
   */
  public static Path directory(Path dir) {
    try {
      if (posix(dir.getFileSystem()) && !Files.isDirectory(dir)) {
        Path parent = dir.toAbsolutePath().getParent();
        if (parent != null) {
          Files.createDirectories(parent);
        }
        try {
          Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(DIRECTORY));
        } catch (java.nio.file.FileAlreadyExistsException raced) {
          // made by someone else meanwhile: its permissions are set below
        }
      } else {
        Files.createDirectories(dir);
      }
      restrict(dir, DIRECTORY);
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the directory " + dir + " owner-only", e);
    }
  }

  /**
   * Makes the files in {@code dir} whose names start with {@code prefix} owner-only (600). Files
   * that vanish meanwhile are passed by.
   *
   * @throws UncheckedIOException when the directory cannot be read or a permission cannot be set
   */
  public static void files(Path dir, String prefix) {
    if (!posix(dir.getFileSystem()) || !Files.isDirectory(dir)) {
      return;
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, prefix + "*")) {
      for (Path p : entries) {
        if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
          try {
            restrict(p, FILE);
          } catch (java.nio.file.NoSuchFileException gone) {
            // a temporary file the database removed meanwhile
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot make the files of " + dir + " owner-only", e);
    }
  }

  private static void restrict(Path p, Set<PosixFilePermission> permissions) throws IOException {
    if (posix(p.getFileSystem())
        && !Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS).equals(permissions)) {
      Files.setPosixFilePermissions(p, permissions);
    }
  }

  private static boolean posix(FileSystem fs) {
    return fs.supportedFileAttributeViews().contains("posix");
  }
}
