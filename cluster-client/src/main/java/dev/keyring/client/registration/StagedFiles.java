package dev.keyring.client.registration;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * Files written under temporary names beside their targets, then moved into place together: so a
 * registration that fails halfway leaves every earlier file as it was. A target that existed is set
 * aside until {@link #commit()}; {@link #rollBack()} puts it back.
 */
final class StagedFiles {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> READABLE =
      PosixFilePermissions.fromString("rw-r--r--");

  private record Staged(Path temp, Path target, Path setAside) {}

  private final List<Staged> staged = new ArrayList<>();
  private final List<Staged> placed = new ArrayList<>();
  private final List<Path> createdDirs = new ArrayList<>();

  /**
   * Creates {@code dir} (and its parents) now, remembering what it created to remove on roll-back.
   */
  void directory(Path dir) throws IOException {
    List<Path> missing = new ArrayList<>();
    for (Path p = dir.toAbsolutePath(); p != null && !Files.exists(p); p = p.getParent()) {
      missing.add(0, p);
    }
    for (Path p : missing) {
      try {
        Files.createDirectory(p);
      } catch (FileAlreadyExistsException raced) {
        continue;
      }
      createdDirs.add(0, p);
    }
  }

  /** Writes {@code text} to a temporary file beside {@code target}; private files get mode 600. */
  void stage(Path target, String text, boolean secret) throws IOException {
    Path dir = target.toAbsolutePath().getParent();
    byte[] suffix = new byte[6];
    RANDOM.nextBytes(suffix);
    Path temp =
        dir.resolve("." + target.getFileName() + "." + HexFormat.of().formatHex(suffix) + ".tmp");
    boolean posix = Files.getFileStore(dir).supportsFileAttributeView("posix");
    FileAttribute<?>[] attrs =
        posix
            ? new FileAttribute<?>[] {
              PosixFilePermissions.asFileAttribute(secret ? OWNER_ONLY : READABLE)
            }
            : new FileAttribute<?>[0];
    Files.createFile(temp, attrs);
    staged.add(new Staged(temp, target.toAbsolutePath(), null));
    try (OutputStream out =
        Files.newOutputStream(temp, StandardOpenOption.WRITE, StandardOpenOption.SYNC)) {
      out.write(text.getBytes(StandardCharsets.US_ASCII));
    }
    if (posix) {
      // the umask may have narrowed the mode at creation; set it exactly
      Files.setPosixFilePermissions(temp, secret ? OWNER_ONLY : READABLE);
    }
  }

  /** Moves every staged file to its target, setting aside the files it replaces. */
  void place() throws IOException {
    for (Staged s : staged) {
      Path aside = null;
      if (Files.exists(s.target)) {
        aside = s.temp.resolveSibling(s.temp.getFileName() + ".old");
        move(s.target, aside);
      }
      Staged p = new Staged(s.temp, s.target, aside);
      placed.add(p);
      move(s.temp, s.target);
    }
    staged.clear();
  }

  /** Drops the set-aside originals: the new files stay. */
  void commit() {
    for (Staged p : placed) {
      if (p.setAside != null) {
        deleteQuietly(p.setAside);
      }
    }
    placed.clear();
    createdDirs.clear();
  }

  /** Removes staged and placed files, restores the originals and removes created directories. */
  void rollBack() {
    for (Staged s : staged) {
      deleteQuietly(s.temp);
    }
    staged.clear();
    for (int i = placed.size() - 1; i >= 0; i--) {
      Staged p = placed.get(i);
      try {
        if (p.setAside != null) {
          move(p.setAside, p.target);
        } else {
          Files.deleteIfExists(p.target);
        }
      } catch (IOException e) {
        // keep going: restore as much as possible
      }
      deleteQuietly(p.temp);
    }
    placed.clear();
    for (Path d : createdDirs) {
      deleteQuietly(d);
    }
    createdDirs.clear();
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      // nothing more to do
    }
  }
}
