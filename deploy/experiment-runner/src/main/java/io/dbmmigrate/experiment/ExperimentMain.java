package io.dbmmigrate.experiment;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The sweep runner's command line: {@code deploy/experiment.sh SPEC [--quick]}.
 *
 * <p>Exit codes: 0 every run succeeded, 1 some run failed (the sweep still ran the rest), 2 bad
 * usage or a bad spec file.
 */
@Command(
    name = "experiment",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a sweep spec (YAML): each point a real two-process migration or a scan benchmark.",
      "Writes RESULTS/<spec name>/ (…/quick/ with --quick): results.csv, results.json,",
      "rounds.csv, timeline.csv, table.md, plots/*.png|svg, runs/<key>/ (logs, reports).",
      "Re-running resumes: runs whose key already has a successful row are skipped."
    })
public final class ExperimentMain implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec commandSpec;

  @Parameters(index = "0", paramLabel = "SPEC", description = "sweep spec (YAML)")
  Path spec;

  @Option(names = "--quick", description = "run the spec's quick section")
  boolean quick;

  @Option(names = "--results", paramLabel = "DIR", description = "results root (default ${DEFAULT-VALUE})", defaultValue = "results")
  Path resultsRoot;

  @Option(names = "--out", paramLabel = "DIR", description = "exact output directory (overrides --results)")
  Path out;

  @Option(names = "--source-jar", paramLabel = "JAR", description = "source node shaded jar (default: source-node/target/...-all.jar)")
  Path sourceJar;

  @Option(names = "--dest-jar", paramLabel = "JAR", description = "destination node shaded jar (default: dest-node/app/target/...-all.jar)")
  Path destJar;

  @Option(names = "--classpath", paramLabel = "CP", description = "run both nodes from this class path instead of the jars")
  String classpath;

  @Option(names = "--testbed-script", paramLabel = "FILE", description = "netns testbed script (default ${DEFAULT-VALUE})",
      defaultValue = "deploy/netns/testbed.sh")
  Path testbedScript;

  @Option(names = "--source-main", hidden = true, description = "source main class (tests; class-path mode only)")
  String sourceMain;

  @Option(names = "--dest-main", hidden = true, description = "destination main class (tests; class-path mode only)")
  String destMain;

  @Option(names = "--scan-main", hidden = true, description = "scan benchmark main class (tests)")
  String scanMain;

  @Option(names = "--java", paramLabel = "JAVA", description = "java executable for the nodes (default: this JVM's)")
  String java;

  @Option(names = "--retry-failed", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "re-run runs recorded as failed (default true; --no-retry-failed keeps them)")
  boolean retryFailed;

  @Option(names = "--only", paramLabel = "EXPERIMENT", description = "run only these experiments (repeatable)")
  List<String> only = new ArrayList<>();

  @Option(names = "--dry-run", description = "list the runs and exit")
  boolean dryRun;

  @Option(names = "--plots-only", description = "redraw plots and the table from the stored results")
  boolean plotsOnly;

  @Option(names = "--repo", paramLabel = "DIR", description = "repository root for default paths (default ${DEFAULT-VALUE})",
      defaultValue = ".")
  Path repo;

  private final java.io.PrintStream stdout;
  private final boolean interactive;

  public ExperimentMain() {
    this(System.out, System.console() != null);
  }

  ExperimentMain(java.io.PrintStream stdout, boolean interactive) {
    this.stdout = stdout;
    this.interactive = interactive;
  }

  @Override
  public Integer call() throws Exception {
    SweepSpec sweep;
    try {
      sweep = new SpecLoader().load(spec, quick);
    } catch (IllegalArgumentException | com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new CommandLine.ParameterException(commandSpec.commandLine(), "bad spec: " + e.getMessage(), e, null, spec.toString());
    }
    if (!only.isEmpty()) {
      List<ExperimentSpec> kept = sweep.experiments().stream().filter(e -> only.contains(e.name())).toList();
      if (kept.isEmpty())
        throw new CommandLine.ParameterException(commandSpec.commandLine(), "--only " + only + " matches no experiment of " + sweep.name());
      sweep = new SweepSpec(sweep.name(), sweep.description(), sweep.quick(), sweep.defaults(), kept);
    }
    Path dir = out != null ? out : resultsRoot.resolve(sweep.name());
    if (out == null && sweep.quick()) dir = dir.resolve("quick");
    List<RunPoint> runs = GridExpander.expand(sweep);
    ResultStore store = new ResultStore(dir);

    if (dryRun) {
      store.load();
      for (RunPoint r : runs) {
        ResultRow done = store.get(r.key());
        stdout.printf("%s %-8s %s%n", r.key(), done == null ? "todo" : done.status(), r.describe(variedKeys(sweep)));
      }
      stdout.printf("%d runs%n", runs.size());
      return 0;
    }

    Launch launch = launch();
    Map<PointKind, PointRunner> runners = new EnumMap<>(PointKind.class);
    runners.put(PointKind.MIGRATION, new MigrationPointRunner(launch));
    runners.put(PointKind.SCAN, new ScanPointRunner(launch, scanMain != null ? ScanBackends.resultLines(scanMain) : ScanBackends.defaultBackend()));
    runners.put(PointKind.PERF, new ScanPointRunner(PointKind.PERF, launch, new PerfBackend()));
    SweepRunner runner =
        new SweepRunner(runners, store, new SweepConsole(stdout, interactive, variedKeys(sweep)), retryFailed);

    if (plotsOnly) {
      store.load();
      store.describe(sweep);
      List<Plotter.Written> plots = runner.plot(sweep, runs);
      writeTable(sweep, store, dir);
      stdout.printf("%d plots in %s%n", plots.size(), dir.resolve("plots"));
      return 0;
    }

    if (runs.stream().anyMatch(r -> r.kind() == PointKind.MIGRATION)) launch.check();
    installShutdownHook();
    SweepRunner.Summary s = runner.run(sweep);
    String table = writeTable(sweep, store, dir);
    stdout.println(table);
    stdout.printf(
        "%s: %d runs (%d skipped as done, %d ok, %d failed) in %s; %d plots; results in %s%n",
        sweep.name() + (sweep.quick() ? " (quick)" : ""), s.total(), s.skipped(), s.ok(), s.failed(),
        Duration.ofMillis(s.elapsedMillis()).toString().substring(2).toLowerCase(), s.plots().size(), dir);
    boolean anyFailed = store.rows().stream().anyMatch(r -> !r.ok() && runs.stream().anyMatch(p -> p.key().equals(r.key())));
    return anyFailed ? 1 : 0;
  }

  /** The table of the sweep's current runs (rows of runs no longer in the spec are left out). */
  private String writeTable(SweepSpec sweep, ResultStore store, Path dir) throws IOException {
    java.util.Set<String> keys = new java.util.HashSet<>();
    for (RunPoint r : GridExpander.expand(sweep)) keys.add(r.key());
    String table = ResultsTable.render(sweep, store.rows().stream().filter(r -> keys.contains(r.key())).toList());
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("table.md"),
        "# " + sweep.name() + (sweep.quick() ? " (quick)" : "") + "\n\nGenerated " + Instant.now() + "\n" + table,
        StandardCharsets.UTF_8);
    return table;
  }

  /** Parameters that vary anywhere in the sweep (named in progress lines). */
  private static List<String> variedKeys(SweepSpec sweep) {
    List<String> keys = new ArrayList<>();
    for (ExperimentSpec e : sweep.experiments())
      for (String k : e.grid().keySet()) if (!keys.contains(k)) keys.add(k);
    return keys;
  }

  private Launch launch() {
    String javaExe =
        java != null ? java : Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Path script = testbedScript.isAbsolute() ? testbedScript : repo.resolve(testbedScript);
    if (classpath != null) {
      Launch l = Launch.classpath(javaExe, classpath, script.toAbsolutePath());
      return l.withMains(sourceMain != null ? sourceMain : l.sourceMain(), destMain != null ? destMain : l.destMain());
    }
    if (sourceMain != null || destMain != null)
      throw new CommandLine.ParameterException(commandSpec.commandLine(), "--source-main/--dest-main need --classpath");
    Path src = sourceJar != null ? sourceJar : builtJar(repo.resolve("source-node/target"), "dbm-migrate-source-node");
    Path dst = destJar != null ? destJar : builtJar(repo.resolve("dest-node/app/target"), "dbm-migrate-dest-node");
    return Launch.jars(javaExe, src.toAbsolutePath(), dst.toAbsolutePath(), script.toAbsolutePath());
  }

  /** The shaded jar {@code ARTIFACT-VERSION-all.jar} in {@code target}, any version (as deploy/lib.sh's dbm_jar). */
  static Path builtJar(Path target, String artifact) {
    try (var files = Files.list(target)) {
      return files
          .filter(f -> f.getFileName().toString().matches(Pattern.quote(artifact) + "-.*-all\\.jar"))
          .findFirst()
          .orElse(target.resolve(artifact + "-VERSION-all.jar"));
    } catch (IOException e) {
      return target.resolve(artifact + "-VERSION-all.jar"); // not built: Launch.checkJars names it
    }
  }

  /**
   * On SIGTERM or Ctrl-C, stop this runner's own child processes (the nodes, or the testbed script,
   * whose trap then removes the namespaces) before the JVM exits; they would otherwise outlive it.
   */
  private static void installShutdownHook() {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      List<ProcessHandle> children = ProcessHandle.current().children().toList();
      children.forEach(ProcessHandle::destroy);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      for (ProcessHandle c : children) {
        while (c.isAlive() && System.nanoTime() < deadline) {
          try {
            Thread.sleep(100);
          } catch (InterruptedException e) {
            return;
          }
        }
        if (c.isAlive()) c.destroyForcibly();
      }
    }, "experiment-shutdown"));
  }

  public static void main(String[] args) {
    System.setProperty("java.awt.headless", "true");
    System.exit(execute(args));
  }

  static int execute(String... args) {
    CommandLine cl = new CommandLine(new ExperimentMain());
    cl.setOverwrittenOptionsAllowed(true); // deploy/experiment.sh passes defaults the user may override
    return cl.execute(args);
  }
}
