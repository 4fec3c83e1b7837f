package dev.keyring.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatFactory;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs {@link ProviderSignBenchmark} over every provider × operation combination the providers
 * support, leaving out the others with a printed reason ({@link ProviderRig#unsupported}). JMH has
 * no way to exclude parameter combinations, so this takes JMH's usual command line and runs JMH
 * once per provider with that provider's supported operations, then writes the results of all runs
 * as one result file ({@code -rf}/{@code -rff}, as JMH would) and the left-out combinations beside
 * it, in {@code <result file without extension>-na.tsv} (provider, op, reason), for table.py.
 *
 * <p>With {@code -Dkeyring.bench.rounds=N} ({@code ROUNDS=N benchmarks/run.sh ...}) the providers
 * run in turn N times (the order reversed every other round), the result file holds every round's
 * results, and the end of the output gives, for each row, the ratio of the first provider named in
 * {@code -p provider=...} to each other one round by round, with their median ({@link
 * PairedRounds}): on a machine whose speed drifts, that median is steadier than the ratio of two
 * runs made minutes apart.
 *
 * <p>{@code benchmarks/run.sh ProviderSign ...} runs this instead of JMH's main. Only {@link
 * ProviderSignBenchmark} runs, whatever the include patterns match; {@code -p provider=...} and
 * {@code -p op=...} narrow the matrix; help and list options go to JMH's main unchanged.
 */
public final class ProviderSignMain {
  private ProviderSignMain() {}

  public static void main(String[] args) throws Exception {
    CommandLineOptions cli;
    try {
      cli = new CommandLineOptions(args);
    } catch (CommandLineOptionException e) {
      System.err.println("Error parsing command line: " + e.getMessage());
      System.exit(1);
      return;
    }
    if (cli.shouldHelp()
        || cli.shouldList()
        || cli.shouldListWithParams()
        || cli.shouldListProfilers()
        || cli.shouldListResultFormats()) {
      org.openjdk.jmh.Main.main(args);
      return;
    }
    List<String> providers = values(cli, "provider");
    List<String> ops = values(cli, "op");
    // only this class, however broad the include patterns (JMH ORs includes, ANDs-not excludes)
    String onlyThis = "^(?!" + Pattern.quote(ProviderSignBenchmark.class.getName() + ".") + ").*";

    String resultFile = null;
    ResultFormatType resultType = cli.getResultFormat().orElse(ResultFormatType.CSV);
    if (cli.getResult().hasValue() || cli.getResultFormat().hasValue()) {
      resultFile = cli.getResult().orElse("jmh-result." + resultType.toString().toLowerCase());
    }
    int rounds;
    try {
      rounds = PairedRounds.rounds(System.getProperty(PairedRounds.ROUNDS_PROPERTY));
    } catch (IllegalArgumentException e) {
      System.err.println("Error: " + e.getMessage());
      System.exit(1);
      return;
    }
    List<RunResult> results = new ArrayList<>();
    List<PairedRounds.Score> scores = new ArrayList<>();
    List<String> notRun = new ArrayList<>();
    Map<String, List<String>> supportedOf = new LinkedHashMap<>();
    for (String provider : providers) {
      ProviderRig rig = ProviderRig.forName(provider);
      List<String> supported = new ArrayList<>();
      for (String op : ops) {
        String reason = rig.unsupported(ProviderOp.of(op));
        if (reason == null) {
          supported.add(op);
        } else {
          notRun.add(provider + "\t" + op + "\t" + reason);
          System.out.println("# n/a: " + provider + " × " + op + ": " + reason);
        }
      }
      supportedOf.put(provider, supported);
    }
    for (int round = 1; round <= rounds; round++) {
      for (String provider : PairedRounds.order(providers, round)) {
        List<String> supported = supportedOf.get(provider);
        if (supported.isEmpty()) {
          continue;
        }
        if (rounds > 1) {
          System.out.println("# round " + round + " of " + rounds + ": " + provider);
        }
        Collection<RunResult> ran = runProvider(cli, onlyThis, resultFile, provider, supported);
        results.addAll(ran);
        for (RunResult r : ran) {
          scores.add(score(round, provider, r));
        }
      }
    }
    if (resultFile != null) {
      String file = resultFile;
      ResultFormatFactory.getInstance(resultType, file).writeOut(results);
      Path na = naFile(Path.of(file));
      if (notRun.isEmpty()) {
        Files.deleteIfExists(na);
      } else {
        Files.write(na, notRun, StandardCharsets.UTF_8);
      }
      System.out.println("# " + results.size() + " result(s) of all providers written to " + file);
    }
    for (String line : notRun) {
      String[] f = line.split("\t", 3);
      System.out.println("# not run (n/a): " + f[0] + " × " + f[1] + ": " + f[2]);
    }
    if (rounds > 1 && !providers.isEmpty()) {
      System.out.println(
          "# ratios round by round (the providers ran in turn, " + rounds + " rounds):");
      for (PairedRounds.Ratio r : PairedRounds.ratios(scores, providers.get(0))) {
        System.out.println("#   " + r.line());
      }
    }
  }

  /** One JMH run of {@code provider} with its {@code supported} operations. */
  private static Collection<RunResult> runProvider(
      CommandLineOptions cli,
      String onlyThis,
      String resultFile,
      String provider,
      List<String> supported)
      throws RunnerException, IOException {
    ChainedOptionsBuilder options =
        new OptionsBuilder()
            .parent(cli)
            .exclude(onlyThis)
            .param("provider", provider)
            .param("op", supported.toArray(new String[0]));
    if (cli.getIncludes().isEmpty()) {
      options.include(Pattern.quote(ProviderSignBenchmark.class.getName() + "."));
    }
    Path part = null;
    if (resultFile != null) {
      // each run's own file is a part; the merged file is written at the end
      part = Path.of(resultFile + ".part-" + provider);
      options.result(part.toString());
    }
    try {
      return new Runner(options.build()).run();
    } finally {
      if (part != null) {
        Files.deleteIfExists(part);
      }
    }
  }

  /** {@code r} of {@code provider} in {@code round}, for the round-by-round ratios. */
  private static PairedRounds.Score score(int round, String provider, RunResult r) {
    String label = r.getParams().getBenchmark();
    String method = label.substring(label.lastIndexOf('.') + 1);
    return new PairedRounds.Score(
        round,
        method,
        r.getParams().getParam("op"),
        r.getParams().getThreads(),
        provider,
        r.getPrimaryResult().getScore());
  }

  /** The values of parameter {@code name}: from the command line, else the annotation's. */
  private static List<String> values(CommandLineOptions cli, String name)
      throws NoSuchFieldException {
    if (cli.getParameter(name).hasValue()) {
      return new ArrayList<>(cli.getParameter(name).get());
    }
    Param p = ProviderSignBenchmark.Rig.class.getField(name).getAnnotation(Param.class);
    return Arrays.asList(p.value());
  }

  /** {@code dir/name.json} → {@code dir/name-na.tsv}. */
  static Path naFile(Path result) {
    String name = result.getFileName().toString();
    int dot = name.lastIndexOf('.');
    return result.resolveSibling((dot > 0 ? name.substring(0, dot) : name) + "-na.tsv");
  }
}
