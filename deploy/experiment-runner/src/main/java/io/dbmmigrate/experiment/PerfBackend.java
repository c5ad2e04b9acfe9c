package io.dbmmigrate.experiment;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Perf points: {@link PerfProbeMain} in its own JVM, its RESULT lines read into the perf columns. */
final class PerfBackend implements ScanBackend {
  @Override
  public List<String> command(RunPoint p, Launch launch) {
    List<String> args = new ArrayList<>();
    args.addAll(List.of("--dirty-log", p.get(Param.DIRTY_LOG), "--vcpus", p.get(Param.VCPUS)));
    args.addAll(List.of("--vcpu-memory", p.get(Param.VCPU_MEMORY), "--iterations", p.get(Param.ITERATIONS)));
    args.addAll(List.of("--write-percent", p.get(Param.WRITE_PERCENT), "--backing", p.get(Param.BACKING)));
    args.addAll(List.of("--scan-threads", p.get(Param.SCAN_THREADS), "--scan-chunk", p.get(Param.SCAN_CHUNK)));
    args.addAll(List.of("--device-write-rate", p.get(Param.DEVICE_WRITE_RATE), "--variant", p.get(Param.VARIANT)));
    args.addAll(List.of("--seed", Long.toString(p.effectiveSeed())));
    return launch.tool(PerfProbeMain.class.getName(), JavaCommand.splitOptions(p.get(Param.SOURCE_JVM_OPTS))).command(args);
  }

  @Override
  public Map<String, Object> parse(RunPoint p, List<String> lines) {
    Map<String, String> v = ScanPointRunner.resultValues(lines);
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("populateMillis", ScanPointRunner.resultNumber(v, "populate_ms"));
    o.put("enableMillis", ScanPointRunner.resultNumber(v, "enable_ms"));
    o.put("dirtyMemoryMillisFirst", ScanPointRunner.resultNumber(v, "dirty_memory_ms_first"));
    o.put("dirtyMemoryMillisMean", ScanPointRunner.resultNumber(v, "dirty_memory_ms_mean"));
    o.put("getLogMillisFirst", ScanPointRunner.resultNumber(v, "get_log_ms_first"));
    o.put("getLogMillisMean", ScanPointRunner.resultNumber(v, "get_log_ms_mean"));
    o.put("clearLogMillisFirst", ScanPointRunner.resultNumber(v, "clear_log_ms_first"));
    o.put("clearLogMillisMean", ScanPointRunner.resultNumber(v, "clear_log_ms_mean"));
    o.put("harvestedPagesMean", ScanPointRunner.resultNumber(v, "harvested_pages_mean"));
    o.put("lostPages", ScanPointRunner.resultWhole(v, "lost_pages"));
    o.put("deviceWrites", ScanPointRunner.resultWhole(v, "device_writes"));
    return o;
  }
}
