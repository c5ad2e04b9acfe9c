package io.dbmmigrate.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the rest of the machine is doing while a benchmark runs (Linux /proc; NaN elsewhere): the
 * load average, this process's scheduling group, and the CPU time other processes used, so that a
 * figure measured on a shared machine comes with the competition it had.
 */
final class HostLoad {
  private HostLoad() {}

  /** Busy jiffies of the whole machine and of this process, and the wall time, at one instant. */
  record Sample(long machineBusyTicks, long processTicks, long nanos) {}

  static double loadAverage1m() {
    try {
      return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+")[0]);
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }

  /** The autogroup (CFS gives each group, not each thread, its fair share), or "?". */
  static String autogroup() {
    try {
      return Files.readString(Path.of("/proc/self/autogroup")).trim();
    } catch (IOException | RuntimeException e) {
      return "?";
    }
  }

  static Sample sample() {
    try {
      String[] cpu = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
      long busy = 0;
      for (int i = 1; i < cpu.length; i++) if (i != 4 && i != 5) busy += Long.parseLong(cpu[i]); // not idle, iowait
      String stat = Files.readString(Path.of("/proc/self/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split("\\s+");
      long self = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14, 15)
      return new Sample(busy, self, System.nanoTime());
    } catch (IOException | RuntimeException e) {
      return new Sample(-1, -1, System.nanoTime());
    }
  }

  /** Cores' worth of CPU that other processes used between two samples (USER_HZ = 100). */
  static double otherCores(Sample a, Sample b) {
    if (a.machineBusyTicks() < 0 || b.machineBusyTicks() < 0) return Double.NaN;
    long others = (b.machineBusyTicks() - a.machineBusyTicks()) - (b.processTicks() - a.processTicks());
    double seconds = (b.nanos() - a.nanos()) / 1e9;
    return Math.max(0, others / 100.0 / seconds);
  }
}
