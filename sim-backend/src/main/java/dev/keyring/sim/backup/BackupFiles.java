package dev.keyring.sim.backup;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.store.OwnerOnlyFiles;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The files of the appliance users: one directory per user under {@code DATA/files}, owner-only
 * (700, files 600). Cluster backups go to the {@code admin} user's files. A file is written under a
 * hidden temporary name, flushed to disk, then renamed over its final name in one step, so the
 * final name always holds a whole file (the old one or the new one), whatever happens meanwhile.
 */
public final class BackupFiles {
  /** At most this many characters in a file name. */
  public static final int MAX_NAME = 64;

  /** The characters a file name may use. */
  public static final String ALLOWED =
      "-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";

  private static final Pattern NAME = Pattern.compile("[-.0-9A-Za-z_]{1,64}");
  private static final Pattern USER = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
  private static final String TEMP_PREFIX = ".tmp-";

  /** One file of a user: its name, size and last change. */
  public record FileInfo(String name, long size, String modified) {}

  private final Path root;

  /**
   * The file area under {@code root} ({@code DATA/files}); temporary files left over are removed.
   */
  public BackupFiles(Path root) {
    this.root = root;
  }

  /**
   * Refuses a file name that breaks the rule: 1 to 64 characters of {@value #ALLOWED}, not starting
   * with '.' (names starting with '.' are the member's temporary files). The message states the
   * rule, not the name.
   */
  public static void checkName(String name) {
    if (name == null || !NAME.matcher(name).matches() || name.startsWith(".")) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD,
          "a file name must be 1 to "
              + MAX_NAME
              + " characters of "
              + ALLOWED
              + ", and must not start with '.'");
    }
  }

  private Path dir(String user) {
    if (user == null || !USER.matcher(user).matches()) {
      throw new HsmException(ResultCode.CKR_ARGUMENTS_BAD, "not a valid appliance user name");
    }
    return root.resolve(user);
  }

  /** The path of a user's file (which may not exist). */
  public Path path(String user, String name) {
    checkName(name);
    return dir(user).resolve(name);
  }

  /** The user's files, by name. */
  public List<FileInfo> list(String user) {
    Path d = dir(user);
    List<FileInfo> out = new ArrayList<>();
    if (!Files.isDirectory(d)) {
      return out;
    }
    try (DirectoryStream<Path> s = Files.newDirectoryStream(d)) {
      for (Path p : s) {
        String n = p.getFileName().toString();
        if (n.startsWith(".")) {
          continue;
        }
        BasicFileAttributes a =
            Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (a.isRegularFile()) {
          out.add(new FileInfo(n, a.size(), a.lastModifiedTime().toInstant().toString()));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list the files of " + user, e);
    }
    out.sort(Comparator.comparing(FileInfo::name));
    return out;
  }

  /** A user's file, if it exists. */
  public Optional<FileInfo> find(String user, String name) {
    Path p = path(user, name);
    return list(user).stream().filter(f -> f.name().equals(p.getFileName().toString())).findFirst();
  }

  /** Deletes a user's file; false when there was none. */
  public boolean delete(String user, String name) {
    try {
      return Files.deleteIfExists(path(user, name));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete a file of " + user, e);
    }
  }

  /** Removes the temporary files a crash left in a user's directory. */
  public void removeLeftovers(String user) {
    Path d = dir(user);
    if (!Files.isDirectory(d)) {
      return;
    }
    try (DirectoryStream<Path> s = Files.newDirectoryStream(d, TEMP_PREFIX + "*")) {
      for (Path p : s) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot clean the files of " + user, e);
    }
  }

  /** What writes a file's content. */
  @FunctionalInterface
  public interface Content {
    void writeTo(OutputStream out) throws IOException;
  }

  /**
   * Writes a user's file atomically: a temporary file (600) in the same directory, flushed and
   * forced to disk, then moved over {@code name} in one step, and the directory forced too. If
   * {@code content} fails, the temporary file is removed and the old file (if any) is untouched.
   *
   * @return the size written
   */
  public long write(String user, String name, Content content) throws IOException {
    Path target = path(user, name);
    Path d = OwnerOnlyFiles.directory(target.getParent());
    Path tmp = d.resolve(TEMP_PREFIX + UUID.randomUUID() + "-" + name);
    boolean moved = false;
    try {
      createOwnerOnly(tmp);
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16);
        content.writeTo(out);
        out.flush();
        ch.force(true);
      }
      long size = Files.size(tmp);
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      moved = true;
      forceDirectory(d);
      return size;
    } finally {
      if (!moved) {
        Files.deleteIfExists(tmp);
      }
    }
  }

  private static void createOwnerOnly(Path p) throws IOException {
    if (p.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      Files.createFile(p, PosixFilePermissions.asFileAttribute(OwnerOnlyFiles.FILE));
    } else {
      Files.createFile(p);
    }
  }

  private static void forceDirectory(Path d) {
    try (FileChannel ch = FileChannel.open(d, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // some file systems cannot open a directory for reading; the rename itself is atomic
    }
  }
}
