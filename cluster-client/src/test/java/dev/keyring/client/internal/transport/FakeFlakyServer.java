package dev.keyring.client.internal.transport;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A plain HTTP/1.1 server on loopback that misbehaves on cue, for the transport's retry tests: for
 * each request it takes the next scripted step (drop the connection after reading the request, stay
 * silent, or answer), and answers 200 with {@code {"data":"AQ=="}} once the script is done.
 */
final class FakeFlakyServer implements AutoCloseable {
  enum Kind {
    /** Read the request, then close the connection without a word. */
    DROP,
    /** Read the request, then say nothing until the client gives up. */
    SILENT,
    /** Answer with a status and a body. */
    ANSWER,
    /** Answer 200, then close the connection, as a member that stops after answering. */
    ANSWER_THEN_CLOSE
  }

  record Step(Kind kind, int status, String body) {
    static Step drop() {
      return new Step(Kind.DROP, 0, null);
    }

    static Step silent() {
      return new Step(Kind.SILENT, 0, null);
    }

    static Step answerThenClose() {
      return new Step(Kind.ANSWER_THEN_CLOSE, 200, "{\"data\":\"AQ==\"}");
    }

    static Step answer(int status, String body) {
      return new Step(Kind.ANSWER, status, body);
    }
  }

  private final ServerSocket server;
  private final Queue<Step> script = new ConcurrentLinkedQueue<>();
  private final AtomicInteger requests = new AtomicInteger();
  private final AtomicInteger connections = new AtomicInteger();
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final Thread acceptor;

  FakeFlakyServer(Step... steps) throws IOException {
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    script.addAll(java.util.List.of(steps));
    acceptor = new Thread(this::acceptLoop, "fake-flaky-server");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  int port() {
    return server.getLocalPort();
  }

  /** Requests read so far (each counted once its headers and body arrived). */
  int requests() {
    return requests.get();
  }

  /** Connections accepted and not yet closed by either end. */
  int openConnections() {
    return open.size();
  }

  /** Connections accepted so far. */
  int connections() {
    return connections.get();
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        connections.incrementAndGet();
        open.add(s);
        Thread t = new Thread(() -> serve(s), "fake-flaky-connection");
        t.setDaemon(true);
        t.start();
      } catch (IOException closed) {
        return;
      }
    }
  }

  private void serve(Socket s) {
    try (s) {
      InputStream in = s.getInputStream();
      OutputStream out = s.getOutputStream();
      while (true) {
        if (!readRequest(in)) {
          return;
        }
        requests.incrementAndGet();
        Step step = script.poll();
        if (step == null) {
          step = Step.answer(200, "{\"data\":\"AQ==\"}");
        }
        switch (step.kind()) {
          case DROP:
            return;
          case SILENT:
            while (in.read() >= 0) {
              // until the client closes
            }
            return;
          default:
            byte[] body =
                step.body() == null ? new byte[0] : step.body().getBytes(StandardCharsets.UTF_8);
            String head =
                "HTTP/1.1 "
                    + step.status()
                    + " X\r\n"
                    + "Content-Type: application/json\r\n"
                    + "Content-Length: "
                    + body.length
                    + "\r\n\r\n";
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            if (step.kind() == Kind.ANSWER_THEN_CLOSE) {
              return;
            }
        }
      }
    } catch (IOException e) {
      // the client went away
    } finally {
      open.remove(s);
    }
  }

  /** Reads one request's head and body; false at the end of the stream. */
  private static boolean readRequest(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        return false;
      }
      head.write(b);
      matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    int length = 0;
    for (String line : head.toString(StandardCharsets.US_ASCII).split("\r\n")) {
      if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    in.readNBytes(length);
    return true;
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (Socket s : open) {
      s.close();
    }
  }
}
