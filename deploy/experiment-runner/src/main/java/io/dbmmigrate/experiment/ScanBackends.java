package io.dbmmigrate.experiment;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Scan backends. The default runs {@link ScanProbeMain} (a dirty-log sync benchmark on the public
 * {@code VirtualMachine}/{@code DirtyLog} API) in its own JVM; {@link #resultLines} adapts any
 * program that takes the same options and prints the same RESULT keys.
 */
final class ScanBackends {
  private ScanBackends() {}

  static ScanBackend defaultBackend() {
    return resultLines(ScanProbeMain.class.getName());
  }

  /**
   * A program started as {@code java <sourceJvmOpts> -cp <runner class path> MAIN --ram R --backing B
   * --vcpus N --scan-threads T --scan-chunk C --dirty-percent P --iterations I --seed S --dirty-log M} that
   * prints {@code RESULT sync_ms_median=.. sync_ms_min=.. sync_ms_max=.. ptes_visited=..
   * dirty_pages=.. [sw_sync_ms=..]}.
   */
  static ScanBackend resultLines(String mainClass) {
    return new ScanBackend() {
      @Override
      public List<String> command(RunPoint p, Launch launch) {
        List<String> args = new ArrayList<>();
        args.addAll(List.of("--ram", p.get(Param.RAM), "--backing", p.get(Param.BACKING), "--vcpus", p.get(Param.VCPUS)));
        args.addAll(List.of("--scan-threads", p.get(Param.SCAN_THREADS), "--scan-chunk", p.get(Param.SCAN_CHUNK)));
        args.addAll(List.of("--dirty-percent", p.get(Param.DIRTY_PERCENT), "--iterations", p.get(Param.ITERATIONS)));
        args.addAll(List.of("--seed", Long.toString(p.effectiveSeed()), "--dirty-log", p.get(Param.DIRTY_LOG)));
        return launch.tool(mainClass, JavaCommand.splitOptions(p.get(Param.SOURCE_JVM_OPTS))).command(args);
      }

      @Override
      public Map<String, Object> parse(RunPoint p, List<String> lines) {
        Map<String, String> v = ScanPointRunner.resultValues(lines);
        Map<String, Object> o = new LinkedHashMap<>();
        Double median = ScanPointRunner.resultNumber(v, "sync_ms_median");
        o.put("syncMillis", median);
        o.put("syncMillisMin", ScanPointRunner.resultNumber(v, "sync_ms_min"));
        o.put("syncMillisMax", ScanPointRunner.resultNumber(v, "sync_ms_max"));
        o.put("syncMillisPer64GiB", median == null ? null : median * (64.0 * (1L << 30)) / p.getBytes(Param.RAM));
        o.put("swSyncMillis", ScanPointRunner.resultNumber(v, "sw_sync_ms"));
        o.put("ptesVisited", ScanPointRunner.resultWhole(v, "ptes_visited"));
        o.put("dirtyPages", ScanPointRunner.resultWhole(v, "dirty_pages"));
        return o;
      }
    };
  }
}
