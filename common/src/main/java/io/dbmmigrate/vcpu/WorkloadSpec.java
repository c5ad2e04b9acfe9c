package io.dbmmigrate.vcpu;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A workload and its parameters, in the grammar the CLI and the wire ({@code
 * VcpuState.workload_spec}) use: {@code kind[:key=value,...]}.
 *
 * <ul>
 *   <li>kind: {@code sequential}, {@code random}, {@code hotset}, {@code once}, {@code idle}
 *   <li>{@code rate}: dirty rate limit in MB/s (10^6 bytes) per vCPU, 0 = unlimited; default
 *       {@value #DEFAULT_RATE_MBPS}. One store stands for one 4 KiB page written.
 *   <li>{@code seed}: PRNG seed (vCPU i uses seed + i); absent: the VM's seed
 *   <li>{@code hot}: hotset only, percent of RAM in the hot set (0 &lt; hot ≤ 100, default 10)
 *   <li>{@code share}: hotset only, percent of writes that go to the hot set (0..100, default 90)
 * </ul>
 *
 * {@link #toString()} gives the canonical form, which {@link #parse} reads back to an equal spec.
 *
 * @param seed null when absent
 */
public record WorkloadSpec(
    WorkloadKind kind, double rateMbPerSec, Long seed, double hotPercent, double sharePercent) {
  public static final double DEFAULT_RATE_MBPS = 50;
  public static final double DEFAULT_HOT_PERCENT = 10;
  public static final double DEFAULT_SHARE_PERCENT = 90;

  public WorkloadSpec {
    if (kind == null) throw new IllegalArgumentException("workload kind missing");
    if (!(rateMbPerSec >= 0) || Double.isInfinite(rateMbPerSec))
      throw new IllegalArgumentException("workload rate must be a finite number >= 0 MB/s, not " + rateMbPerSec);
    if (kind == WorkloadKind.HOTSET) {
      if (!(hotPercent > 0 && hotPercent <= 100))
        throw new IllegalArgumentException("hotset: hot must be in (0, 100] percent, not " + hotPercent);
      if (!(sharePercent >= 0 && sharePercent <= 100))
        throw new IllegalArgumentException("hotset: share must be in [0, 100] percent, not " + sharePercent);
    }
  }

  public static WorkloadSpec of(WorkloadKind kind) {
    return new WorkloadSpec(
        kind,
        kind == WorkloadKind.IDLE ? 0 : DEFAULT_RATE_MBPS,
        null,
        DEFAULT_HOT_PERCENT,
        DEFAULT_SHARE_PERCENT);
  }

  /** Parses {@code kind[:key=value,...]}; throws IllegalArgumentException with a clear message. */
  public static WorkloadSpec parse(String text) {
    if (text == null || text.isBlank()) throw new IllegalArgumentException("workload spec is empty");
    String s = text.trim();
    int colon = s.indexOf(':');
    WorkloadKind kind = WorkloadKind.parse(colon < 0 ? s : s.substring(0, colon));
    WorkloadSpec spec = of(kind);
    if (colon < 0) return spec;
    double rate = spec.rateMbPerSec;
    Long seed = null;
    double hot = DEFAULT_HOT_PERCENT;
    double share = DEFAULT_SHARE_PERCENT;
    Map<String, String> seen = new LinkedHashMap<>();
    String rest = s.substring(colon + 1);
    if (rest.isBlank()) throw new IllegalArgumentException("workload '" + text + "': no options after ':'");
    for (String part : rest.split(",", -1)) {
      int eq = part.indexOf('=');
      if (eq <= 0 || eq == part.length() - 1)
        throw new IllegalArgumentException(
            "workload '" + text + "': expected key=value, got '" + part + "'");
      String key = part.substring(0, eq).trim().toLowerCase(Locale.ROOT);
      String value = part.substring(eq + 1).trim();
      if (seen.put(key, value) != null)
        throw new IllegalArgumentException("workload '" + text + "': key '" + key + "' given twice");
      switch (key) {
        case "rate":
          rate = number(text, key, value);
          if (kind == WorkloadKind.IDLE && rate != 0)
            throw new IllegalArgumentException("workload '" + text + "': idle takes no rate");
          break;
        case "seed":
          try {
            seed = Long.parseLong(value);
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                "workload '" + text + "': seed must be an integer, not '" + value + "'");
          }
          break;
        case "hot":
        case "share":
          if (kind != WorkloadKind.HOTSET)
            throw new IllegalArgumentException(
                "workload '" + text + "': '" + key + "' only applies to hotset");
          if (key.equals("hot")) hot = number(text, key, value);
          else share = number(text, key, value);
          break;
        default:
          throw new IllegalArgumentException(
              "workload '" + text + "': unknown key '" + key + "' (expected rate, seed, hot, share)");
      }
    }
    return new WorkloadSpec(kind, rate, seed, hot, share);
  }

  private static double number(String text, String key, String value) {
    try {
      double d = Double.parseDouble(value);
      if (Double.isNaN(d) || Double.isInfinite(d)) throw new NumberFormatException();
      return d;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "workload '" + text + "': " + key + " must be a number, not '" + value + "'");
    }
  }

  public WorkloadSpec withRate(double mbPerSec) {
    return new WorkloadSpec(kind, kind == WorkloadKind.IDLE ? 0 : mbPerSec, seed, hotPercent, sharePercent);
  }

  public WorkloadSpec withSeed(Long s) {
    return new WorkloadSpec(kind, rateMbPerSec, s, hotPercent, sharePercent);
  }

  /** Nanoseconds between two stores at the rate limit (0 = unlimited). */
  public long nanosPerStore() {
    if (rateMbPerSec == 0) return 0;
    return Math.max(1, Math.round(4096 * 1e3 / rateMbPerSec));
  }

  @Override
  public String toString() {
    if (kind == WorkloadKind.IDLE) return seed == null ? "idle" : "idle:seed=" + seed;
    StringBuilder sb = new StringBuilder(kind.id()).append(":rate=").append(fmt(rateMbPerSec));
    if (seed != null) sb.append(",seed=").append(seed);
    if (kind == WorkloadKind.HOTSET)
      sb.append(",hot=").append(fmt(hotPercent)).append(",share=").append(fmt(sharePercent));
    return sb.toString();
  }

  private static String fmt(double d) {
    return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
  }
}
