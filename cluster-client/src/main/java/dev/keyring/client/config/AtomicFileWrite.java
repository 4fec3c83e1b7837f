package dev.keyring.client.config;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.security.SecureRandom;
import java.util.HexFormat;

/** Replaces a file's content by writing a sibling temporary file and renaming it over the file. */
final class AtomicFileWrite {
  private static final SecureRandom RANDOM = new SecureRandom();

  private AtomicFileWrite() {}

  static void write(Path path, byte[] content) throws IOException {
    Path target = Files.isSymbolicLink(path) ? path.toRealPath() : path.toAbsolutePath();
    Path dir = target.getParent();
    PosixFileAttributes previous = posixAttributes(target);
    byte[] suffix = new byte[6];
    RANDOM.nextBytes(suffix);
    Path temp =
        dir.resolve("." + target.getFileName() + "." + HexFormat.of().formatHex(suffix) + ".tmp");
    try {
      // CREATE_NEW without attributes: a new file gets the process's default permissions.
      try (FileChannel ch =
          FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        ByteBuffer buf = ByteBuffer.wrap(content);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      if (previous != null) {
        copyAttributes(previous, temp);
      }
      try {
        Files.move(
            temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException | RuntimeException e) {
      try {
        Files.deleteIfExists(temp);
      } catch (IOException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
    syncDirectory(dir);
  }

  private static PosixFileAttributes posixAttributes(Path file) throws IOException {
    PosixFileAttributeView view =
        Files.getFileAttributeView(file, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
    if (view == null) {
      return null; // not a POSIX file system: nothing we can carry over
    }
    try {
      return view.readAttributes();
    } catch (NoSuchFileException absent) {
      return null;
    }
  }

  private static void copyAttributes(PosixFileAttributes from, Path to) throws IOException {
    PosixFileAttributeView view = Files.getFileAttributeView(to, PosixFileAttributeView.class);
    view.setPermissions(from.permissions());
    // Owner and group are kept where the process may set them (root, or the same owner).
    try {
      if (!view.readAttributes().group().equals(from.group())) {
        view.setGroup(from.group());
      }
      if (!view.getOwner().equals(from.owner())) {
        view.setOwner(from.owner());
      }
    } catch (IOException notPermitted) {
      // Leave the new file with this process's owner/group; its permissions are already right.
    }
  }

  /** Makes the rename durable where the platform allows opening a directory; best effort. */
  private static void syncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | RuntimeException unsupported) {
      // Not every platform can open or sync a directory; the rename itself was atomic.
    }
  }
}
