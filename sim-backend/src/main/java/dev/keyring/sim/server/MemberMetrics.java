package dev.keyring.sim.server;

import dev.keyring.protocol.time.Ticker;
import dev.keyring.sim.boundary.CacheStats;
import dev.keyring.sim.cluster.ClusterNode;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * What the member counts of its crypto API, and its state, in the Prometheus text format ({@code
 * GET /metrics} on the admin API): requests by operation, HTTP status and wire (the REST API over
 * HTTPS, {@value #HTTP}, or the binary crypto channel, {@value #CHANNEL}), their latency as a
 * histogram, open sessions, the boundary's key cache, the buffer budget, and the replication lag of
 * each member as the primary sees it. Counting is lock-free ({@link LongAdder}s); reading is a
 * snapshot of each counter in turn.
 */
final class MemberMetrics {
  /** Histogram bucket upper bounds, in seconds. */
  static final double[] BUCKETS = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5
  };

  /** The {@code wire} label of a request to the REST/JSON crypto API. */
  static final String HTTP = "http";

  /** The {@code wire} label of a request over the binary crypto channel. */
  static final String CHANNEL = "channel";

  private final Ticker ticker;
  private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
  private final Map<String, Histogram> latency = new ConcurrentHashMap<>();

  MemberMetrics(Ticker ticker) {
    this.ticker = ticker;
  }

  /** One operation's latencies: a counter per bucket, their sum and count. */
  private static final class Histogram {
    final LongAdder[] buckets = new LongAdder[BUCKETS.length];
    final LongAdder count = new LongAdder();
    final LongAdder sumNanos = new LongAdder();

    Histogram() {
      for (int i = 0; i < buckets.length; i++) {
        buckets[i] = new LongAdder();
      }
    }

    void add(long nanos) {
      double seconds = nanos / 1e9;
      for (int i = 0; i < BUCKETS.length; i++) {
        if (seconds <= BUCKETS[i]) {
          buckets[i].increment(); // non-cumulative here; made cumulative when rendered
          break;
        }
      }
      count.increment();
      sumNanos.add(nanos);
    }
  }

  /** {@code api} with every request it answers counted. */
  Handler around(Handler api) {
    return new Handler.Wrapper(api) {
      @Override
      public boolean handle(Request request, Response response, Callback callback)
          throws Exception {
        return super.handle(
            request,
            response,
            timed(callback, request.getMethod(), Request.getPathInContext(request), response));
      }
    };
  }

  /**
   * The callback of one crypto API request, which counts it when its answer is written: its
   * operation (from the path), its HTTP status and the time since now.
   */
  Callback timed(Callback callback, String method, String path, Response response) {
    long start = ticker.nanoTime();
    String operation = operation(method, path);
    return new Callback() {
      @Override
      public void succeeded() {
        record(HTTP, operation, response.getStatus(), ticker.nanoTime() - start);
        callback.succeeded();
      }

      @Override
      public void failed(Throwable x) {
        record(HTTP, operation, 0, ticker.nanoTime() - start); // the answer could not be written
        callback.failed(x);
      }

      @Override
      public InvocationType getInvocationType() {
        return callback.getInvocationType();
      }
    };
  }

  /** The ticker requests are timed on. */
  Ticker ticker() {
    return ticker;
  }

  /**
   * Counts one request: its wire ({@link #HTTP} or {@link #CHANNEL}), operation, HTTP status (on
   * the channel, the status the REST API answers for its result) and time.
   */
  void record(String wire, String operation, int status, long nanos) {
    requests
        .computeIfAbsent(operation + ' ' + status + ' ' + wire, k -> new LongAdder())
        .increment();
    latency.computeIfAbsent(operation + ' ' + wire, k -> new Histogram()).add(Math.max(0, nanos));
  }

  /**
   * The counters of one operation on one wire, for a caller that knows its operation ahead (a
   * channel opcode): counting a request with them builds no key and allocates nothing once each
   * status was seen. They enter the metrics at their first request, as {@link #record} does.
   */
  Counters counters(String wire, String operation) {
    return new Counters(wire, operation);
  }

  /** See {@link #counters}. */
  final class Counters {
    private final String wire;
    private final String operation;
    private final String latencyKey;
    private final AtomicReferenceArray<LongAdder> byStatus = new AtomicReferenceArray<>(600);
    private volatile Histogram histogram;

    private Counters(String wire, String operation) {
      this.wire = wire;
      this.operation = operation;
      this.latencyKey = operation + ' ' + wire;
    }

    /** Counts one request: its HTTP status (as {@link #record}) and time. */
    void record(int status, long nanos) {
      if (status < 0 || status >= byStatus.length()) {
        MemberMetrics.this.record(wire, operation, status, nanos);
        return;
      }
      LongAdder count = byStatus.get(status);
      if (count == null) {
        count =
            requests.computeIfAbsent(operation + ' ' + status + ' ' + wire, k -> new LongAdder());
        byStatus.set(status, count);
      }
      count.increment();
      Histogram h = histogram;
      if (h == null) {
        h = latency.computeIfAbsent(latencyKey, k -> new Histogram());
        histogram = h;
      }
      h.add(Math.max(0, nanos));
    }
  }

  /**
   * The operation a crypto API path names: {@code /v1/sessions/ID/sign} is {@code sign}, a
   * multi-part step {@code operations}, {@code POST /v1/sessions} {@code open_session}, {@code
   * DELETE /v1/sessions/ID} {@code close_session}, {@code /v1/peer/poll} {@code peer_poll}; an
   * unknown path {@code other}. Never a value of a request (no IDs, no handles).
   */
  static String operation(String method, String path) {
    String[] p = path.split("/", -1);
    if (p.length < 3 || !p[1].equals("v1")) {
      return "other";
    }
    if (p[2].equals("sessions")) {
      if (p.length == 3) {
        return "open_session";
      }
      if (p.length == 4) {
        return "DELETE".equals(method) ? "close_session" : "other";
      }
      return p.length <= 6 && p[4].matches("[a-z-]{1,24}") ? p[4].replace('-', '_') : "other";
    }
    if (p[2].equals("peer") && p.length == 4 && p[3].matches("[a-z-]{1,24}")) {
      return "peer_" + p[3].replace('-', '_');
    }
    return p.length == 3 && p[2].matches("[a-z]{1,24}") ? p[2] : "other";
  }

  /** The metrics in the Prometheus text exposition format (version 0.0.4). */
  String render(Member member) {
    StringBuilder out = new StringBuilder(4096);
    header(
        out,
        "keyring_crypto_requests_total",
        "counter",
        "crypto API requests answered, by operation, HTTP status (0: the answer could not be written)"
            + " and wire (http or channel)");
    for (Map.Entry<String, LongAdder> e : new TreeMap<>(requests).entrySet()) {
      String[] k = e.getKey().split(" ");
      out.append("keyring_crypto_requests_total{operation=\"")
          .append(k[0])
          .append("\",status=\"")
          .append(k[1])
          .append("\",wire=\"")
          .append(k[2])
          .append("\"} ")
          .append(e.getValue().sum())
          .append('\n');
    }
    header(
        out,
        "keyring_crypto_request_duration_seconds",
        "histogram",
        "time from a crypto API request's arrival to its answer, by operation and wire");
    for (Map.Entry<String, Histogram> e : new TreeMap<>(latency).entrySet()) {
      String name = "keyring_crypto_request_duration_seconds";
      String[] k = e.getKey().split(" ");
      String op = "operation=\"" + k[0] + "\",wire=\"" + k[1] + "\"";
      Histogram h = e.getValue();
      long cumulative = 0;
      for (int i = 0; i < BUCKETS.length; i++) {
        cumulative += h.buckets[i].sum();
        out.append(name)
            .append("_bucket{")
            .append(op)
            .append(",le=\"")
            .append(number(BUCKETS[i]))
            .append("\"} ")
            .append(cumulative)
            .append('\n');
      }
      long count = h.count.sum();
      out.append(name)
          .append("_bucket{")
          .append(op)
          .append(",le=\"+Inf\"} ")
          .append(count)
          .append('\n');
      out.append(name)
          .append("_sum{")
          .append(op)
          .append("} ")
          .append(number(h.sumNanos.sum() / 1e9))
          .append('\n');
      out.append(name).append("_count{").append(op).append("} ").append(count).append('\n');
    }
    gauge(out, "keyring_crypto_sessions_open", "crypto API sessions open", member.openSessions());
    CacheStats cache = member.appliance().boundary().cacheStats();
    counter(
        out,
        "keyring_boundary_key_cache_hits_total",
        "unwrapped-key cache hits inside the boundary",
        cache.hits());
    counter(
        out,
        "keyring_boundary_key_cache_misses_total",
        "unwrapped-key cache misses (a blob unwrapped under the SMK)",
        cache.misses());
    gauge(
        out, "keyring_boundary_key_cache_keys", "unwrapped keys the boundary holds", cache.size());
    gauge(
        out,
        "keyring_buffer_budget_used_bytes",
        "bytes held for clients' data now",
        member.buffers().used());
    gauge(out, "keyring_buffer_budget_limit_bytes", "the buffer budget", member.buffers().limit());
    ClusterNode node = member.node();
    if (node != null) {
      gauge(
          out,
          "keyring_cluster_log_sequence",
          "the last cluster log entry this member holds",
          node.position().sequence());
      gauge(out, "keyring_cluster_primary", "1 on the primary, else 0", node.isPrimary() ? 1 : 0);
      gauge(
          out,
          "keyring_cluster_read_only",
          "1 while this member refuses writes, else 0",
          node.readWrite() ? 0 : 1);
      Map<String, Long> lag = node.replicationLag();
      if (!lag.isEmpty()) {
        header(
            out,
            "keyring_cluster_replication_lag_entries",
            "gauge",
            "on the primary: log entries each other member has not acknowledged (-1: none yet)");
        for (Map.Entry<String, Long> e : new TreeMap<>(lag).entrySet()) {
          out.append("keyring_cluster_replication_lag_entries{member=\"")
              .append(e.getKey())
              .append("\"} ")
              .append(e.getValue())
              .append('\n');
        }
      }
    }
    return out.toString();
  }

  private static void header(StringBuilder out, String name, String type, String help) {
    out.append("# HELP ").append(name).append(' ').append(help).append('\n');
    out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
  }

  private static void gauge(StringBuilder out, String name, String help, long value) {
    header(out, name, "gauge", help);
    out.append(name).append(' ').append(value).append('\n');
  }

  private static void counter(StringBuilder out, String name, String help, long value) {
    header(out, name, "counter", help);
    out.append(name).append(' ').append(value).append('\n');
  }

  private static String number(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e15
        ? Long.toString((long) v)
        : String.format(Locale.ROOT, "%s", v);
  }
}
