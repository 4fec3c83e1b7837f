package dev.keyring.benchmarks;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Ratios of {@link ProviderSignBenchmark}'s providers taken round by round: when the providers run
 * in turn several times ({@value #ROUNDS_PROPERTY}), each round's score of the first provider is
 * divided by the same round's score of every other provider, for the same benchmark method,
 * operation and thread count. A slow spell of the machine then weighs on both sides of a ratio
 * instead of on one provider's whole run, and the median of the rounds' ratios is the figure to
 * quote, with its lowest and highest beside it.
 */
final class PairedRounds {
  /** How many times the providers run in turn; 1 (the default) runs each once, as before. */
  static final String ROUNDS_PROPERTY = "keyring.bench.rounds";

  /** The most rounds one run may ask for. */
  static final int MAX_ROUNDS = 50;

  /** One result: a benchmark method ({@code t1}, {@code t2}, ...) of one round. */
  record Score(int round, String method, String op, int threads, String provider, double score) {
    Score {
      Objects.requireNonNull(method, "method");
      Objects.requireNonNull(op, "op");
      Objects.requireNonNull(provider, "provider");
    }
  }

  /** The rounds' ratios of {@code provider} to {@code reference} for one method and operation. */
  record Ratio(
      String method,
      String op,
      int threads,
      String provider,
      String reference,
      List<Double> ratios) {
    Ratio {
      ratios = List.copyOf(ratios);
    }

    double median() {
      List<Double> sorted = new ArrayList<>(ratios);
      Collections.sort(sorted);
      int n = sorted.size();
      return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    double lowest() {
      return Collections.min(ratios);
    }

    double highest() {
      return Collections.max(ratios);
    }

    /** One line: the ratio per round, then the median and the range. */
    String line() {
      StringBuilder b = new StringBuilder();
      b.append(
          String.format(
              Locale.ROOT,
              "%s %s (%d thread%s): %s / %s =",
              method,
              op,
              threads,
              threads == 1 ? "" : "s",
              provider,
              reference));
      for (double r : ratios) {
        b.append(String.format(Locale.ROOT, " %.2f", r));
      }
      b.append(
          String.format(
              Locale.ROOT,
              "; median %.2f (%.2f–%.2f, %d rounds)",
              median(),
              lowest(),
              highest(),
              ratios.size()));
      return b.toString();
    }
  }

  private PairedRounds() {}

  /**
   * The number of rounds asked for by {@value #ROUNDS_PROPERTY}: 1 when unset.
   *
   * @throws IllegalArgumentException when it is not a whole number from 1 to {@value #MAX_ROUNDS}
   */
  static int rounds(String value) {
    if (value == null || value.isBlank()) {
      return 1;
    }
    int n;
    try {
      n = Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      n = -1;
    }
    if (n < 1 || n > MAX_ROUNDS) {
      throw new IllegalArgumentException(
          ROUNDS_PROPERTY
              + " must be a whole number from 1 to "
              + MAX_ROUNDS
              + " (how many times the providers run in turn), got '"
              + value
              + "'");
    }
    return n;
  }

  /** The order of {@code providers} in round {@code round} (from 1): reversed every other round. */
  static List<String> order(List<String> providers, int round) {
    List<String> out = new ArrayList<>(providers);
    if (round % 2 == 0) {
      Collections.reverse(out);
    }
    return out;
  }

  /**
   * For each method, operation and thread count, the ratio of {@code first} to every other provider
   * in each round both have a score of; rows in the order the scores came.
   */
  static List<Ratio> ratios(List<Score> scores, String first) {
    Map<List<Object>, Map<String, Map<Integer, Double>>> byRow = new LinkedHashMap<>();
    for (Score s : scores) {
      byRow
          .computeIfAbsent(List.of(s.method(), s.op(), s.threads()), k -> new LinkedHashMap<>())
          .computeIfAbsent(s.provider(), k -> new LinkedHashMap<>())
          .put(s.round(), s.score());
    }
    List<Ratio> out = new ArrayList<>();
    for (Map.Entry<List<Object>, Map<String, Map<Integer, Double>>> row : byRow.entrySet()) {
      Map<Integer, Double> mine = row.getValue().get(first);
      if (mine == null) {
        continue;
      }
      for (Map.Entry<String, Map<Integer, Double>> other : row.getValue().entrySet()) {
        if (other.getKey().equals(first)) {
          continue;
        }
        List<Double> ratios = new ArrayList<>();
        for (Map.Entry<Integer, Double> m : mine.entrySet()) {
          Double theirs = other.getValue().get(m.getKey());
          if (theirs != null && theirs > 0) {
            ratios.add(m.getValue() / theirs);
          }
        }
        if (!ratios.isEmpty()) {
          List<Object> k = row.getKey();
          out.add(
              new Ratio(
                  (String) k.get(0),
                  (String) k.get(1),
                  (Integer) k.get(2),
                  first,
                  other.getKey(),
                  ratios));
        }
      }
    }
    return out;
  }
}
