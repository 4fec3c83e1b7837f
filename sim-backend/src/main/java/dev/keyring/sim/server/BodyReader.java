package dev.keyring.sim.server;

import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.wire.ErrorResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads (or throws away) one request body without holding a thread while it arrives: the handler
 * returns at once and the body is gathered in Jetty's demand callbacks; the request is handled when
 * its last byte is in. A body is bounded three ways:
 *
 * <ul>
 *   <li>in size: over the API's limit it is refused 413;
 *   <li>in memory: past the first {@value #FREE_BYTES} bytes every byte is reserved (twice: the
 *       bytes and what is decoded from them) in the member's {@link BufferBudget}, held until the
 *       answer is written; when the budget is spent the request is refused 409 {@code
 *       CKR_DEVICE_MEMORY};
 *   <li>in time: from {@link BodyLimits#grace} after the request began, the body must have arrived
 *       at {@link BodyLimits#minDataRate} bytes a second on average, checked every second; a slower
 *       body is refused 400 and its connection closed.
 * </ul>
 *
 * <p>A refused body is read on and thrown away, up to {@link BodyLimits#drainLimit} bytes in all,
 * so that a client still sending gets the answer; past that the answer closes the connection. A
 * body that cannot be read (broken chunked encoding, the connection ended early, idle timeout) is
 * the client's fault: 400, one line in the log, no stack trace, and the connection closes.
 */
final class BodyReader implements Runnable {
  /** Bytes of each body that need no reservation: small requests always get through. */
  static final int FREE_BYTES = 64 << 10;

  /**
   * Bytes reserved per body byte past {@link #FREE_BYTES}: the bytes themselves, and the values
   * decoded from them (Base64 data) while the request is handled.
   */
  static final int RESERVE_FACTOR = 2;

  private static final Logger LOG = LoggerFactory.getLogger(BodyReader.class);
  private static final long CHECK_MILLIS = 1_000;

  /** A refused body's answer; {@code close} when the connection must close after it. */
  record Refusal(int status, ResultCode code, String message, boolean close) {}

  /** What becomes of the body. */
  interface Listener {
    /** The whole body; its reservation is in the lease, released when the answer is written. */
    void onBody(RequestBytes body);

    void onRefused(Refusal refusal);
  }

  private final Request request;
  private final BodyLimits limits;
  private final String api;
  private final Lease lease;
  private final long max;
  private final Listener listener;
  private final long started;

  // guarded by this
  private boolean done;
  private boolean reading;
  private boolean expired;
  private long received;
  private long reserved;
  private Refusal refusal; // set once the body is refused: the rest is thrown away
  private List<byte[]> parts = new ArrayList<>();
  private Scheduler.Task check;

  private BodyReader(
      Request request, BodyLimits limits, String api, Lease lease, long max, Listener listener) {
    this.request = request;
    this.limits = limits;
    this.api = api;
    this.lease = lease;
    this.max = max;
    this.listener = listener;
    this.started = limits.ticker().nanoTime();
  }

  /**
   * Reads the body of {@code request}, at most {@code max} bytes, reserving in {@code lease};
   * {@code listener} hears of it once, on whatever thread completes it.
   */
  static void read(
      Request request, BodyLimits limits, String api, Lease lease, long max, Listener listener) {
    new BodyReader(request, limits, api, lease, max, listener).start(null);
  }

  /**
   * Throws the body away (a request refused before its body was read); {@code then} is given true
   * when all of it was read, false when the connection should close after the answer.
   */
  static void drain(Request request, BodyLimits limits, String api, Consumer<Boolean> then) {
    Listener l =
        new Listener() {
          @Override
          public void onBody(RequestBytes body) {
            then.accept(true);
          }

          @Override
          public void onRefused(Refusal refusal) {
            then.accept(!refusal.close());
          }
        };
    new BodyReader(request, limits, api, null, 0, l)
        .start(new Refusal(0, ResultCode.CKR_ARGUMENTS_BAD, "refused before its body", false));
  }

  private void start(Refusal already) {
    long declared = request.getLength();
    Refusal now = null;
    synchronized (this) {
      if (already != null) {
        refuse(already);
      } else if (declared > max) {
        refuse(tooLarge());
      }
      if (refusal != null && declared > limits.drainLimit()) {
        done = true; // too much to throw away: answer at once and close
        now = closing(refusal);
      }
    }
    if (now != null) {
      listener.onRefused(now);
      return;
    }
    run();
  }

  private Refusal tooLarge() {
    return new Refusal(
        413,
        ResultCode.CKR_ARGUMENTS_BAD,
        "the request body is larger than " + max + " bytes",
        false);
  }

  private static Refusal closing(Refusal r) {
    return new Refusal(r.status(), r.code(), r.message(), true);
  }

  /** Stops keeping the body (it is refused): what was kept and reserved goes. */
  private void refuse(Refusal r) {
    refusal = r;
    parts = null;
    releaseReserved();
  }

  private void releaseReserved() {
    if (lease != null && reserved > 0) {
      lease.release(reserved);
      reserved = 0;
    }
  }

  @Override
  public void run() {
    while (true) {
      synchronized (this) {
        if (done) {
          return;
        }
        if (expired) {
          done = true;
          cancelCheck();
          break; // too slow: answered below
        }
        reading = true;
      }
      Content.Chunk chunk = request.read();
      if (chunk == null) {
        synchronized (this) {
          reading = false;
          if (expired) {
            continue; // the check found the body too slow while this thread was reading
          }
        }
        schedule(); // the body is not all in: from now on its rate is watched
        request.demand(this);
        return;
      }
      if (Content.Chunk.isFailure(chunk)) {
        synchronized (this) {
          reading = false;
          done = true;
          cancelCheck();
        }
        unreadable(chunk.getFailure());
        return;
      }
      Runnable outcome;
      try {
        outcome = accept(chunk);
      } finally {
        chunk.release();
      }
      if (outcome != null) {
        outcome.run();
        return;
      }
    }
    tooSlow();
  }

  /** Takes one chunk; returns what to do when the body is finished with, else null. */
  private synchronized Runnable accept(Content.Chunk chunk) {
    reading = false;
    int n = chunk.remaining();
    received += n;
    if (refusal == null) {
      if (received > max) {
        refuse(tooLarge());
      } else if (!reserve()) {
        refuse(
            new Refusal(
                ErrorResponse.httpStatus(ResultCode.CKR_DEVICE_MEMORY),
                ResultCode.CKR_DEVICE_MEMORY,
                BufferBudget.refusal("a request body of " + received + " bytes and more").detail(),
                false));
      } else if (n > 0) {
        byte[] b = new byte[n];
        chunk.getByteBuffer().get(b);
        parts.add(b);
      }
    }
    if (refusal != null && received > limits.drainLimit()) {
      done = true;
      cancelCheck();
      Refusal r = closing(refusal);
      return () -> listener.onRefused(r);
    }
    if (!chunk.isLast()) {
      return null;
    }
    done = true;
    cancelCheck();
    if (refusal != null) {
      Refusal r = refusal;
      return () -> listener.onRefused(r);
    }
    RequestBytes body = new RequestBytes(parts, (int) received);
    parts = null;
    return () -> listener.onBody(body);
  }

  /** Reserves what the body holds past its free bytes; false when the budget is spent. */
  private boolean reserve() {
    long need = RESERVE_FACTOR * (received - FREE_BYTES) - reserved;
    if (need <= 0) {
      return true;
    }
    if (!lease.tryReserve(need)) {
      return false;
    }
    reserved += need;
    return true;
  }

  /** Checks the rate in a second, unless a check is due already or the body is done with. */
  private synchronized void schedule() {
    if (!done && check == null) {
      check =
          request
              .getComponents()
              .getScheduler()
              .schedule(this::check, CHECK_MILLIS, TimeUnit.MILLISECONDS);
    }
  }

  private void cancelCheck() {
    if (check != null) {
      check.cancel();
      check = null;
    }
  }

  /** Once a second: is the body arriving fast enough? */
  private void check() {
    boolean slow;
    synchronized (this) {
      check = null;
      if (done) {
        return;
      }
      long late = limits.ticker().nanoTime() - started - limits.grace().toNanos();
      long due = (long) (limits.minDataRate() * (late / 1e9));
      long declared = request.getLength();
      if (declared >= 0) {
        due = Math.min(due, declared); // all of it in: only its end is still to be seen
      }
      slow = late > 0 && received < due;
      if (slow && reading) {
        expired = true; // the reading thread answers when its read returns
        return;
      }
      done = slow;
    }
    if (slow) {
      tooSlow();
    } else {
      schedule();
    }
  }

  private void tooSlow() {
    long elapsed = TimeUnit.NANOSECONDS.toMillis(limits.ticker().nanoTime() - started);
    long got;
    synchronized (this) {
      got = received;
      parts = null;
      releaseReserved();
    }
    String why =
        "the request body arrived too slowly ("
            + got
            + " bytes in "
            + elapsed
            + " ms; at least "
            + limits.minDataRate()
            + " bytes a second are needed)";
    log(why);
    listener.onRefused(new Refusal(400, ResultCode.CKR_ARGUMENTS_BAD, why, true));
  }

  private void unreadable(Throwable failure) {
    synchronized (this) {
      parts = null;
      releaseReserved();
    }
    String why = "the request body could not be read: " + describe(failure);
    log(why);
    listener.onRefused(new Refusal(400, ResultCode.CKR_ARGUMENTS_BAD, why, true));
  }

  private void log(String why) {
    LOG.info(
        "{} {} {} from {}: {}; refused, connection closed",
        api,
        request.getMethod(),
        Request.getPathInContext(request),
        Request.getRemoteAddr(request),
        why);
  }

  /** A client-caused read failure in words (never the request's own bytes). */
  static String describe(Throwable failure) {
    if (failure instanceof TimeoutException) {
      return "the body stopped arriving (idle timeout)";
    }
    if (failure instanceof HttpException) {
      int code = ((HttpException) failure).getCode();
      return "malformed HTTP body framing (" + code + ")";
    }
    if (failure instanceof java.io.EOFException) {
      return "the connection ended before the body was complete";
    }
    return "the connection failed while the body was arriving ("
        + failure.getClass().getSimpleName()
        + ")";
  }
}
