package io.dbmmigrate.experiment;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.dbmmigrate.process.ListeningLine;
import java.io.File;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Stand-ins for the two nodes and the scan benchmark with the same command-line contracts, run as
 * real processes from the test class path, so the runner's process handling, relay, resume and
 * plots are tested without the real migration engine.
 */
final class FakeNodes {
  private FakeNodes() {}

  static Map<String, String> options(String[] args, int from) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = from; i + 1 < args.length; i += 2) m.put(args[i], args[i + 1]);
    return m;
  }

  /** Echo server: prints DEST_LISTENING port=N, echoes every connection until killed. */
  static final class Dest {
    public static void main(String[] args) throws Exception {
      Map<String, String> o = options(args, 0);
      ServerSocket server = new ServerSocket(Integer.parseInt(o.get("--port")), 50, InetAddress.getByName(o.get("--bind")));
      System.out.println(ListeningLine.format("DEST", server.getLocalPort()));
      System.out.flush();
      while (true) {
        Socket c = server.accept();
        Thread t = new Thread(() -> {
          try (c) {
            InputStream in = c.getInputStream();
            OutputStream out = c.getOutputStream();
            int b;
            while ((b = in.read()) >= 0) out.write(b);
          } catch (Exception ignored) {
            // client gone
          }
        });
        t.setDaemon(true);
        t.start();
      }
    }
  }

  /**
   * "migrate --target H:P ... --report F": measures one round trip to the target, then writes a
   * synthetic report whose downtime grows with the dirty rate and is smaller for hw-sw. Workload
   * "fail" exits 1 without a report; workload "mismatch" reports match=false.
   */
  static final class Source {
    public static void main(String[] args) throws Exception {
      if (!args[0].equals("migrate")) System.exit(2);
      Map<String, String> o = options(args, 1);
      String spec = o.get("--workload");
      String workload = spec.contains(":") ? spec.substring(0, spec.indexOf(':')) : spec;
      java.util.regex.Matcher rm = java.util.regex.Pattern.compile("rate=([0-9.]+)").matcher(spec);
      double rate = rm.find() ? Double.parseDouble(rm.group(1)) : 0;
      if (workload.equals("fail")) {
        System.out.println("failing on purpose");
        System.exit(1);
      }
      String[] hp = o.get("--target").split(":");
      long t0 = System.nanoTime();
      try (Socket s = new Socket(hp[0], Integer.parseInt(hp[1]))) {
        s.getOutputStream().write(42);
        if (s.getInputStream().read() != 42) throw new IllegalStateException("echo broken");
      }
      double rttMillis = (System.nanoTime() - t0) / 1e6;
      String mode = o.get("--dirty-log");
      boolean hwsw = mode.equals("hw-sw");
      int rounds = 4;
      List<Map<String, Object>> roundStats = new ArrayList<>();
      for (int r = 0; r < rounds; r++) {
        Map<String, Object> s = new LinkedHashMap<>();
        String m = mode.equals("sw") || (hwsw && r >= 2) ? "sw" : "hw";
        s.put("round", r);
        s.put("mode", m);
        s.put("dirtyPages", r == 0 ? 262144 : (long) (1000 * rate / (r + 1)));
        s.put("syncMillis", m.equals("hw") ? 4.0 : 0.5);
        s.put("scanThreads", Integer.parseInt(o.get("--scan-threads")));
        s.put("ptesVisited", 262144);
        s.put("pagesSent", 1000);
        s.put("zeroPages", 10);
        s.put("bytesSent", 4096000);
        s.put("sendMillis", 10.0);
        s.put("dirtyRatePagesPerSec", 100.0 * rate);
        s.put("throughputBytesPerSec", 4e8);
        s.put("remainingPages", 100);
        s.put("estimatedDowntimeMillis", 5.0);
        s.put("guestWritesPerSec", 1e6);
        s.put("throttlePercent", 0);
        roundStats.add(s);
      }
      List<Map<String, Object>> timeline = new ArrayList<>();
      String[] phases = {"warmup", "full", "hw", hwsw ? "sw" : "hw", "paused", "after"};
      for (int i = 0; i < phases.length; i++) {
        Map<String, Object> t = new HashMap<>();
        t.put("tMillis", i * 100.0);
        t.put("guestWritesPerSec", phases[i].equals("paused") ? 0.0 : 1e6 - i * 1e4);
        t.put("phase", phases[i]);
        timeline.add(t);
      }
      Map<String, Object> params = new LinkedHashMap<>(o);
      params.put("measuredRttMillis", rttMillis);
      Map<String, Object> report = new LinkedHashMap<>();
      report.put("migrationId", "fake-" + o.get("--seed"));
      report.put("outcome", "COMPLETED");
      report.put("error", null);
      report.put("match", !workload.equals("mismatch"));
      report.put("resumed", true);
      report.put("sourceDigest", "ab");
      report.put("destDigest", workload.equals("mismatch") ? "cd" : "ab");
      report.put("dirtyLogMode", mode);
      report.put("switchPolicy", o.get("--switch-policy"));
      report.put("rounds", rounds);
      report.put("switchRound", hwsw ? 2 : -1);
      report.put("totalMillis", 1000.0 + 50 * rate);
      report.put("setupMillis", 20.0);
      report.put("downtimeMillis", (hwsw ? 5.0 : 20.0) + rate);
      report.put("verifyMillis", 30.0);
      report.put("bytesSent", 1L << 30);
      report.put("pagesSent", 262144);
      report.put("zeroPages", 1000);
      report.put("guestWritesPerSecBefore", 1e6);
      report.put("guestWritesPerSecDuring", mode.equals("sw") ? 7e5 : 9.5e5);
      report.put("guestWritesPerSecAfter", 1e6);
      report.put("maxThrottlePercent", 0);
      report.put("parameters", params);
      report.put("vm", Map.of("ramBytes", 1L << 30));
      report.put("roundStats", roundStats);
      report.put("timeline", timeline);
      new ObjectMapper().writeValue(new File(o.get("--report")), report);
      System.out.println("MIGRATION COMPLETED (fake)");
    }
  }

  /** Scan benchmark stand-in: sync time proportional to RAM / threads. */
  static final class Scan {
    public static void main(String[] args) {
      Map<String, String> o = options(args, 0);
      double gib = Sizes.parseBytes(o.get("--ram")) / (double) (1L << 30);
      int threads = Integer.parseInt(o.get("--scan-threads"));
      double ms = 40.0 * gib / 64 / threads;
      System.out.printf(java.util.Locale.ROOT, "RESULT sync_ms_median=%.3f sync_ms_min=%.3f sync_ms_max=%.3f%n", ms, ms * 0.9, ms * 1.2);
      System.out.printf("RESULT ptes_visited=%d dirty_pages=%d%n", (long) (gib * 262144), (long) (gib * 2621));
    }
  }
}
