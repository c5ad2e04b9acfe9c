package io.dbmmigrate.experiment;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The source node's {@code migrate} arguments for a migration point (the CLI contract). */
final class SourceArgs {
  private SourceArgs() {}

  /**
   * @param target HOST:PORT, or null to leave {@code --target} out (the netns testbed adds it)
   * @param maxBandwidthBytesPerSec the in-process cap, or -1 to leave it out (the testbed adds it
   *     when it has to fall back from tc)
   */
  static List<String> migrate(RunPoint p, String target, long maxBandwidthBytesPerSec, Path report, Path csvDir) {
    List<String> a = new ArrayList<>();
    a.add("migrate");
    if (target != null) add(a, "--target", target);
    add(a, "--ram", p.get(Param.RAM));
    add(a, "--rom", p.get(Param.ROM));
    add(a, "--vcpus", p.get(Param.VCPUS));
    add(a, "--backing", p.get(Param.BACKING));
    add(a, "--workload", workload(p.get(Param.WORKLOAD), p.get(Param.DIRTY_RATE)));
    add(a, "--seed", Long.toString(p.effectiveSeed()));
    if (p.getDouble(Param.PREFILL) > 0) add(a, "--prefill", p.get(Param.PREFILL));
    add(a, "--dirty-log", p.get(Param.DIRTY_LOG));
    add(a, "--switch-policy", p.get(Param.SWITCH_POLICY));
    add(a, "--mode", p.get(Param.MODE));
    add(a, "--postcopy-after-rounds", p.get(Param.POSTCOPY_AFTER_ROUNDS));
    add(a, "--downtime-limit", p.get(Param.DOWNTIME_LIMIT_MILLIS));
    add(a, "--max-rounds", p.get(Param.MAX_ROUNDS));
    add(a, "--on-no-convergence", p.get(Param.ON_NO_CONVERGENCE));
    add(a, "--streams", p.get(Param.STREAMS));
    add(a, "--batch-bytes", p.get(Param.BATCH_BYTES));
    if (!p.get(Param.COMPRESS).equals("none")) add(a, "--compress", p.get(Param.COMPRESS));
    if (maxBandwidthBytesPerSec >= 0) add(a, "--max-bandwidth", Long.toString(maxBandwidthBytesPerSec));
    add(a, "--scan-threads", p.get(Param.SCAN_THREADS));
    add(a, "--scan-chunk", p.get(Param.SCAN_CHUNK));
    add(a, "--warmup-ms", p.get(Param.WARMUP_MILLIS));
    add(a, "--report", report.toString());
    add(a, "--csv", csvDir.toString());
    a.addAll(JavaCommand.splitOptions(p.get(Param.EXTRA_ARGS)));
    return a;
  }

  /**
   * The workload spec with the dirty rate as its {@code rate} key ("random" + 8 → "random:rate=8";
   * "hotset:hot=5,share=90" + 8 → "hotset:hot=5,share=90,rate=8"). The rate travels inside the
   * workload spec, which every source CLI version parses, rather than as {@code --dirty-rate}.
   * Left alone for {@code idle} (no rate) and when the spec sets its own rate.
   */
  static String workload(String workload, String dirtyRate) {
    String kind = workload.contains(":") ? workload.substring(0, workload.indexOf(':')) : workload;
    if (kind.equals("idle") || workload.matches(".*[:,]rate=.*")) return workload;
    return workload + (workload.contains(":") ? "," : ":") + "rate=" + dirtyRate;
  }

  private static void add(List<String> a, String option, String value) {
    a.add(option);
    a.add(value);
  }
}
