package io.dbmmigrate.experiment;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * The parameters a sweep point can set, with their spec-file name, default, how a value is
 * validated and normalized (so that "1g" and "1024m" are the same point), and which point kinds use
 * them. Hashed parameters make up a point's identity ({@link PointKey}); the others (JVM options,
 * timeout) only change how it is run.
 */
enum Param {
  RAM("ram", "1g", Type.SIZE, "guest RAM", true, PointKind.MIGRATION, PointKind.SCAN),
  ROM("rom", "2m", Type.SIZE, "guest ROM slot", PointKind.MIGRATION),
  VCPUS("vcpus", "2", Type.INT, "vCPUs"),
  BACKING("backing", "4k", Type.CHOICE, "backing page size", "4k", "2m"),
  WORKLOAD("workload", "random", Type.TEXT, "workload", PointKind.MIGRATION),
  DIRTY_RATE("dirtyRate", "8", Type.DECIMAL, "dirty rate (MB/s per vCPU)", PointKind.MIGRATION),
  /** Fraction (0..1) of RAM filled with incompressible content before the guest starts (source --prefill). */
  PREFILL("prefill", "0", Type.DECIMAL, "prefilled RAM fraction", PointKind.MIGRATION),
  SEED("seed", "1", Type.INT, "seed"),
  /** Perf points: guest memory per vCPU (the selftest's -b). */
  VCPU_MEMORY("vcpuMemory", "64m", Type.SIZE, "memory per vCPU", PointKind.PERF),
  /** Perf points: share of each vCPU's pages written per iteration, in percent (the selftest's -w). */
  WRITE_PERCENT("writePercent", "100", Type.DECIMAL, "write percentage", PointKind.PERF),
  /** Perf points: MB/s written by a simulated DMA device beside the vCPUs. */
  DEVICE_WRITE_RATE("deviceWriteRate", "0", Type.DECIMAL, "device writes (MB/s)", PointKind.PERF),
  /** Perf points: the correct log, or the broken one that forgets the device bitmap. */
  VARIANT("variant", "correct", Type.CHOICE, "log variant", PointKind.PERF, "correct", "forgets-device-bitmap"),
  /** Scan and perf points measure the hardware mode of a {@code -sw} mode (scan points: then sw too). */
  DIRTY_LOG("dirtyLog", "hw-sw", Type.CHOICE, "dirty-log mode", true, new PointKind[0],
      new String[] {"sw", "hw", "hw-sw", "ring", "hdbss", "hdbss-sw", "combined", "combined-sw"}),
  MODE("mode", "precopy", Type.CHOICE, "migration mode", PointKind.MIGRATION, "precopy", "postcopy", "hybrid"),
  POSTCOPY_AFTER_ROUNDS("postcopyAfterRounds", "0", Type.INT, "hybrid: post-copy after N rounds", PointKind.MIGRATION),
  SWITCH_POLICY("switchPolicy", "cost", Type.TEXT, "switch policy", PointKind.MIGRATION),
  DOWNTIME_LIMIT_MILLIS("downtimeLimitMillis", "300", Type.INT, "downtime limit (ms)", PointKind.MIGRATION),
  MAX_ROUNDS("maxRounds", "30", Type.INT, "max rounds", PointKind.MIGRATION),
  ON_NO_CONVERGENCE("onNoConvergence", "force", Type.CHOICE, "on no convergence", PointKind.MIGRATION,
      "force", "abort", "throttle"),
  STREAMS("streams", "2", Type.INT, "streams", PointKind.MIGRATION),
  BATCH_BYTES("batchBytes", "1m", Type.SIZE, "batch size", PointKind.MIGRATION),
  COMPRESS("compress", "none", Type.CHOICE, "compression", PointKind.MIGRATION, "none", "lz4"),
  SCAN_THREADS("scanThreads", "2", Type.INT, "scan threads"),
  SCAN_CHUNK("scanChunk", "512m", Type.SIZE, "scan chunk"),
  WARMUP_MILLIS("warmupMillis", "1000", Type.INT, "warm-up (ms)", PointKind.MIGRATION),
  LINK_RATE("linkRate", "0", Type.RATE, "link rate", PointKind.MIGRATION),
  RTT_MILLIS("rttMillis", "0", Type.DECIMAL, "RTT (ms)", PointKind.MIGRATION),
  JITTER_MILLIS("jitterMillis", "0", Type.DECIMAL, "jitter (ms)", PointKind.MIGRATION),
  LOSS_PERCENT("lossPercent", "0", Type.DECIMAL, "loss (%)", PointKind.MIGRATION),
  /** More source-node {@code migrate} options, verbatim (e.g. "--split lazy --fault-cost-ns 5000"). */
  EXTRA_ARGS("extraArgs", "", Type.TEXT, "extra source options", PointKind.MIGRATION),
  TESTBED("testbed", "local", Type.CHOICE, "testbed", PointKind.MIGRATION, "local", "netns"),
  /** Scan points: fraction of guest pages mapped and dirty before the timed sync, in percent. */
  DIRTY_PERCENT("dirtyPercent", "1", Type.DECIMAL, "dirty pages (%)", PointKind.SCAN),
  /** Scan points: timed syncs per point (the row reports their median and minimum). */
  ITERATIONS("iterations", "5", Type.INT, "timed syncs (scan) or iterations (perf)", true, PointKind.SCAN, PointKind.PERF),
  SOURCE_JVM_OPTS("sourceJvmOpts", "-Xmx2g", Type.TEXT, "source JVM options", false, PointKind.MIGRATION, PointKind.SCAN,
      PointKind.PERF),
  DEST_JVM_OPTS("destJvmOpts", "-Xmx2g", Type.TEXT, "destination JVM options", false, PointKind.MIGRATION),
  TIMEOUT_SECONDS("timeoutSeconds", "600", Type.INT, "timeout (s)", false, PointKind.MIGRATION, PointKind.SCAN,
      PointKind.PERF);

  enum Type {
    SIZE,
    RATE,
    INT,
    DECIMAL,
    CHOICE,
    TEXT
  }

  private final String key;
  private final String defaultValue;
  private final Type type;
  private final String label;
  private final boolean hashed;
  private final Set<PointKind> kinds;
  private final Set<String> choices;

  Param(String key, String defaultValue, Type type, String label, String... choices) {
    this(key, defaultValue, type, label, true, new PointKind[0], choices);
  }

  Param(String key, String defaultValue, Type type, String label, PointKind kind, String... choices) {
    this(key, defaultValue, type, label, true, new PointKind[] {kind}, choices);
  }

  Param(String key, String defaultValue, Type type, String label, boolean hashed, PointKind... kinds) {
    this(key, defaultValue, type, label, hashed, kinds, new String[0]);
  }

  Param(String key, String defaultValue, Type type, String label, boolean hashed, PointKind[] kinds, String[] choices) {
    this.key = key;
    this.defaultValue = defaultValue;
    this.type = type;
    this.label = label;
    this.hashed = hashed;
    this.kinds = kinds.length == 0 ? EnumSet.allOf(PointKind.class) : EnumSet.of(kinds[0], kinds);
    this.choices = Set.of(choices);
  }

  String key() {
    return key;
  }

  String defaultValue() {
    return defaultValue;
  }

  Type type() {
    return type;
  }

  String label() {
    return label;
  }

  boolean hashed() {
    return hashed;
  }

  boolean appliesTo(PointKind kind) {
    return kinds.contains(kind);
  }

  /** By spec-file name, or an exception listing the known names. */
  static Param byKey(String key) {
    for (Param p : values()) if (p.key.equals(key)) return p;
    StringBuilder known = new StringBuilder();
    for (Param p : values()) known.append(known.length() == 0 ? "" : ", ").append(p.key);
    throw new IllegalArgumentException("unknown parameter '" + key + "' (known: " + known + ")");
  }

  /** Validates and normalizes a value; throws with the parameter name on a bad one. */
  String normalize(String raw) {
    if (raw == null) throw new IllegalArgumentException(key + ": value missing");
    String v = raw.trim();
    try {
      switch (type) {
        case SIZE:
          return Sizes.formatBytes(Sizes.parseBytes(v));
        case RATE:
          return Sizes.formatRate(v);
        case INT:
          long n = Long.parseLong(v);
          if (n < 0) throw new IllegalArgumentException("must be >= 0");
          return Long.toString(n);
        case DECIMAL:
          String d = Sizes.formatDecimal(v);
          if (d.startsWith("-")) throw new IllegalArgumentException("must be >= 0");
          return d;
        case CHOICE:
          String c = v.toLowerCase(Locale.ROOT);
          if (!choices.contains(c)) throw new IllegalArgumentException("must be one of " + new TreeSet<>(choices));
          return c;
        default:
          return v;
      }
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(key + ": bad value '" + raw + "': " + e.getMessage(), e);
    }
  }

  /** A value as a number for a plot axis: sizes in GiB, rates in Mbit/s, numbers as they are. */
  double axisValue(String canonical) {
    switch (type) {
      case SIZE:
        return Sizes.parseBytes(canonical) / (double) (1L << 30);
      case RATE:
        return Sizes.parseRateBytesPerSec(canonical) * 8 / 1e6;
      case INT:
      case DECIMAL:
        return Double.parseDouble(canonical);
      default:
        throw new IllegalArgumentException(key + " is not numeric");
    }
  }

  boolean numeric() {
    return type != Type.CHOICE && type != Type.TEXT;
  }

  /** Axis title: the label with the plot unit. */
  String axisTitle() {
    return switch (type) {
      case SIZE -> label + " (GiB)";
      case RATE -> label + " (Mbit/s)";
      default -> label;
    };
  }
}
