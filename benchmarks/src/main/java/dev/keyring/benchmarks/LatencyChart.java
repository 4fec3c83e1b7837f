package dev.keyring.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A self-contained SVG of operation latency over time: for each time bin, the median, the 99th
 * percentile and the maximum (log scale, milliseconds), the failed operations as red ticks, and
 * marked moments (a member killed) as labelled vertical lines. No library: the file opens in any
 * browser and renders on GitHub.
 */
final class LatencyChart {
  /** One operation: when it started (from the run's start), how long it took, whether it failed. */
  record Point(long startNanos, long latencyNanos, boolean failed) {}

  /** A moment to mark on the time axis. */
  record Mark(long atNanos, String label) {}

  private static final int WIDTH = 900;
  private static final int HEIGHT = 360;
  private static final int LEFT = 60;
  private static final int RIGHT = 20;
  private static final int TOP = 40;
  private static final int BOTTOM = 50;
  private static final double MIN_MS = 0.1;

  private LatencyChart() {}

  /** Writes the chart of {@code points} over {@code spanNanos} to {@code file}. */
  static void write(
      Path file, String title, List<Point> points, long spanNanos, long binNanos, List<Mark> marks)
      throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    Files.writeString(file, svg(title, points, spanNanos, binNanos, marks), StandardCharsets.UTF_8);
  }

  /** The SVG text. */
  static String svg(
      String title, List<Point> points, long spanNanos, long binNanos, List<Mark> marks) {
    if (spanNanos <= 0 || binNanos <= 0) {
      throw new IllegalArgumentException("span and bin must be positive");
    }
    int bins = (int) Math.max(1, (spanNanos + binNanos - 1) / binNanos);
    List<List<Long>> latencies = new ArrayList<>();
    for (int i = 0; i < bins; i++) {
      latencies.add(new ArrayList<>());
    }
    List<Long> failures = new ArrayList<>();
    for (Point p : points) {
      int b = (int) Math.min(bins - 1, Math.max(0, p.startNanos() / binNanos));
      if (p.failed()) {
        failures.add(p.startNanos());
      } else {
        latencies.get(b).add(p.latencyNanos());
      }
    }
    double maxMs = MIN_MS * 10;
    for (List<Long> l : latencies) {
      for (long v : l) {
        maxMs = Math.max(maxMs, v / 1e6);
      }
    }
    double topMs = Math.pow(10, Math.ceil(Math.log10(maxMs)));
    StringBuilder s = new StringBuilder();
    s.append(
        String.format(
            Locale.ROOT,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                + " viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n",
            WIDTH,
            HEIGHT,
            WIDTH,
            HEIGHT));
    s.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    s.append(
        String.format(
            Locale.ROOT,
            "<text x=\"%d\" y=\"20\" font-size=\"14\">%s</text>%n",
            LEFT,
            escape(title)));
    // y axis: decades from MIN_MS to topMs
    for (double v = MIN_MS; v <= topMs * 1.0001; v *= 10) {
      double y = y(v, topMs);
      s.append(
          String.format(
              Locale.ROOT,
              "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                  + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s ms</text>%n",
              LEFT,
              y,
              WIDTH - RIGHT,
              y,
              LEFT - 4,
              y + 4,
              v < 1 ? String.format(Locale.ROOT, "%.1f", v) : String.format("%.0f", v)));
    }
    // x axis: seconds
    double seconds = spanNanos / 1e9;
    int step = (int) Math.max(1, Math.round(seconds / 10));
    for (int t = 0; t <= seconds; t += step) {
      double x = x(t * 1e9, spanNanos);
      s.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d s</text>%n",
              x,
              HEIGHT - BOTTOM + 16,
              t));
    }
    s.append(
        String.format(
            Locale.ROOT,
            "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n",
            LEFT,
            HEIGHT - BOTTOM,
            WIDTH - RIGHT,
            HEIGHT - BOTTOM));
    String[] colours = {"#1f77b4", "#ff7f0e", "#7f7f7f"};
    String[] names = {"p50", "p99", "max"};
    double[] quantiles = {0.50, 0.99, 1.0};
    for (int q = 0; q < 3; q++) {
      StringBuilder path = new StringBuilder();
      for (int b = 0; b < bins; b++) {
        List<Long> l = latencies.get(b);
        if (l.isEmpty()) {
          continue;
        }
        long[] sorted = l.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(sorted);
        int i = (int) Math.min(sorted.length - 1, Math.ceil(quantiles[q] * sorted.length) - 1);
        double ms = Math.max(MIN_MS, sorted[Math.max(0, i)] / 1e6);
        path.append(path.length() == 0 ? "M" : " L")
            .append(
                String.format(
                    Locale.ROOT, "%.1f %.1f", x((b + 0.5) * binNanos, spanNanos), y(ms, topMs)));
      }
      s.append(
          String.format(
              Locale.ROOT,
              "<path d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\"/>%n",
              path,
              colours[q]));
      s.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%d\" y=\"%d\" fill=\"%s\">%s</text>%n",
              WIDTH - RIGHT - 150 + q * 50,
              TOP - 8,
              colours[q],
              names[q]));
    }
    for (long f : failures) {
      double x = x(f, spanNanos);
      s.append(
          String.format(
              Locale.ROOT,
              "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"red\"/>%n",
              x,
              HEIGHT - BOTTOM,
              x,
              HEIGHT - BOTTOM + 6));
    }
    s.append(
        String.format(
            Locale.ROOT,
            "<text x=\"%d\" y=\"%d\" fill=\"red\">failed: %d</text>%n",
            LEFT,
            HEIGHT - 8,
            failures.size()));
    for (Mark m : marks) {
      double x = x(m.atNanos(), spanNanos);
      s.append(
          String.format(
              Locale.ROOT,
              "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#d62728\""
                  + " stroke-dasharray=\"4 3\"/>"
                  + "<text x=\"%.1f\" y=\"%d\" fill=\"#d62728\">%s</text>%n",
              x,
              TOP,
              x,
              HEIGHT - BOTTOM,
              x + 4,
              TOP + 12,
              escape(m.label())));
    }
    s.append("</svg>\n");
    return s.toString();
  }

  private static double x(double nanos, long spanNanos) {
    return LEFT + (WIDTH - LEFT - RIGHT) * Math.min(1.0, nanos / spanNanos);
  }

  private static double y(double ms, double topMs) {
    double low = Math.log10(MIN_MS);
    double high = Math.log10(topMs);
    double f = (Math.log10(Math.max(MIN_MS, ms)) - low) / (high - low);
    return HEIGHT - BOTTOM - f * (HEIGHT - BOTTOM - TOP);
  }

  private static String escape(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
