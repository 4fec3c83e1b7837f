package dev.keyring.sim.backup;

import java.util.concurrent.atomic.AtomicReference;

/**
 * The state of the last backup or restore of a member: what it is doing, keyrings done of the
 * total, and how it ended. Readers take a snapshot ({@link #view()}); no lock.
 */
public final class BackupProgress {
  /** A snapshot of the progress. */
  public record View(
      String status,
      String filename,
      int keyringsDone,
      int keyringsTotal,
      int objectsDone,
      String startedAt,
      String finishedAt,
      String message) {}

  private final AtomicReference<View> view =
      new AtomicReference<>(new View("none", null, 0, 0, 0, null, null, null));

  public View view() {
    return view.get();
  }

  /** Whether one is running. */
  public boolean running() {
    return "running".equals(view.get().status());
  }

  /**
   * Starts one, unless one is running.
   *
   * @return false when one is running already
   */
  public boolean start(String filename, int total, String now) {
    View v = view.get();
    if ("running".equals(v.status())) {
      return false;
    }
    return view.compareAndSet(v, new View("running", filename, 0, total, 0, now, null, null));
  }

  /** Sets the total of keyrings (known once the file was read). */
  public void total(int total) {
    view.updateAndGet(
        v ->
            new View(
                v.status(),
                v.filename(),
                v.keyringsDone(),
                total,
                v.objectsDone(),
                v.startedAt(),
                null,
                v.message()));
  }

  void keyringDone(int objects) {
    view.updateAndGet(
        v ->
            new View(
                v.status(),
                v.filename(),
                v.keyringsDone() + 1,
                v.keyringsTotal(),
                v.objectsDone() + objects,
                v.startedAt(),
                null,
                v.message()));
  }

  /** Ends it: {@code completed} or {@code failed}, with a message. */
  public void end(boolean ok, String now, String message) {
    view.updateAndGet(
        v ->
            new View(
                ok ? "completed" : "failed",
                v.filename(),
                v.keyringsDone(),
                v.keyringsTotal(),
                v.objectsDone(),
                v.startedAt(),
                now,
                message));
  }
}
