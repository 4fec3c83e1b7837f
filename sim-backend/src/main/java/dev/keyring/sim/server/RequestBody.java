package dev.keyring.sim.server;

import dev.keyring.protocol.ResultCode;
import java.io.IOException;
import java.io.InputStream;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;

/**
 * The body of one admin request, read once and at most {@code max} bytes (413 beyond). Whatever a
 * refused request left unread is drained, up to {@value #DRAIN_LIMIT} bytes, before the answer is
 * written, so that a client still uploading receives the answer instead of a broken connection;
 * past that limit the connection is closed after the answer.
 */
final class RequestBody {
  static final long DRAIN_LIMIT = 16L << 20;

  private final Request request;
  private final int max;
  private InputStream in;
  private byte[] bytes;

  RequestBody(Request request, int max) {
    this.request = request;
    this.max = max;
  }

  /** The whole body (empty when there is none); 413 when longer than the limit. */
  byte[] read() throws IOException {
    if (bytes != null) {
      return bytes;
    }
    if (request.getLength() > max) {
      throw tooLarge();
    }
    byte[] b = stream().readNBytes(max + 1);
    if (b.length > max) {
      throw tooLarge();
    }
    bytes = b;
    return b;
  }

  private ApiError tooLarge() {
    return new ApiError(
        413, ResultCode.CKR_ARGUMENTS_BAD, "the request body is larger than " + max + " bytes");
  }

  private InputStream stream() {
    if (in == null) {
      in = Content.Source.asInputStream(request);
    }
    return in;
  }

  /**
   * Reads and discards the rest of the body. Returns false when it could not be drained (longer
   * than {@value #DRAIN_LIMIT} bytes, or the read failed): the connection should then close.
   */
  boolean drain() {
    if (bytes != null) {
      return true;
    }
    if (request.getLength() > DRAIN_LIMIT) {
      return false;
    }
    try {
      byte[] buffer = new byte[64 * 1024];
      long total = 0;
      int n;
      InputStream s = stream();
      while ((n = s.read(buffer)) >= 0) {
        total += n;
        if (total > DRAIN_LIMIT) {
          return false;
        }
      }
      bytes = new byte[0];
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }
}
