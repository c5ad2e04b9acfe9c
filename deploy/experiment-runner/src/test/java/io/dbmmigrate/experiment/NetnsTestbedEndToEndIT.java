package io.dbmmigrate.experiment;

import static org.assertj.core.api.Assertions.assertThat;

import io.dbmmigrate.process.ManagedProcess;
import io.dbmmigrate.testing.Capabilities;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/netns/testbed.sh for real: namespaces, veth, tc, teardown on success, failure and signals,
 * and a migration point run inside it (stand-in nodes, RTT through the relay). Skipped, with the
 * reason, where the machine does not allow it: not root, no {@code ip}, or {@code ip netns add}
 * not permitted (e.g. an unprivileged container). Never installs packages (--no-install).
 */
class NetnsTestbedEndToEndIT {
  @TempDir Path dir;

  private static Path script;
  private final List<String> names = new ArrayList<>();

  @BeforeAll
  static void machineAllowsIt() throws Exception {
    script = ShippedSpecs.repoRoot().resolve("deploy/netns/testbed.sh");
    Capabilities.assume(exec("id", "-u").out().trim().equals("0"), "root (CAP_NET_ADMIN) for the netns testbed");
    Capabilities.assume(exec("sh", "-c", "command -v ip && command -v tc").exit() == 0, "'ip'/'tc' (Debian package iproute2)");
    String probe = "dtp" + Long.toString(ProcessHandle.current().pid() % 46_656L, 36);
    Result add = exec("ip", "netns", "add", probe);
    exec("ip", "netns", "del", probe);
    Capabilities.assume(add.exit() == 0, "network namespaces ('ip netns add' not permitted here: " + add.out().trim() + ")");
  }

  @AfterEach
  void removeLeftovers() throws Exception {
    for (String n : names) exec("bash", script.toString(), "down", "--name", n); // a no-op when the test passed
  }

  private String name(String suffix) {
    String n = "dt" + Long.toString(ProcessHandle.current().pid() % 46_656L, 36) + suffix;
    names.add(n);
    return n;
  }

  record Result(int exit, String out) {}

  static Result exec(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    return new Result(p.waitFor(), out);
  }

  private static boolean namespaceExists(String ns) throws Exception {
    return Pattern.compile("(?m)^" + Pattern.quote(ns) + "( |$)").matcher(exec("ip", "netns", "list").out()).find();
  }

  private static void assertGone(String name) throws Exception {
    assertThat(namespaceExists(name + "-src")).as(name + "-src removed").isFalse();
    assertThat(namespaceExists(name + "-dst")).as(name + "-dst removed").isFalse();
    assertThat(exec("ip", "link", "show", name + "s").exit()).as("no veth left in the root namespace").isNotZero();
  }

  @Test
  void upShapesTheLinkAndDownRemovesEverything() throws Exception {
    String n = name("u");
    Result up = exec("bash", script.toString(), "up", "--name", n, "--rate", "100mbit", "--no-install");
    assertThat(up.exit()).as(up.out()).isZero();
    assertThat(up.out()).contains("TESTBED_UP name=" + n).contains("rate_via=tbf");
    assertThat(namespaceExists(n + "-src")).isTrue();
    assertThat(namespaceExists(n + "-dst")).isTrue();
    String qdisc = exec("ip", "netns", "exec", n + "-src", "tc", "qdisc", "show", "dev", n + "s").out();
    assertThat(qdisc).contains("tbf").contains("100Mbit");
    assertThat(exec("ip", "netns", "exec", n + "-dst", "tc", "qdisc", "show", "dev", n + "d").out()).contains("tbf");
    assertThat(exec("ip", "-n", n + "-src", "addr", "show", n + "s").out()).contains("inet ");

    Result down = exec("bash", script.toString(), "down", "--name", n);
    assertThat(down.exit()).as(down.out()).isZero();
    assertGone(n);
  }

  @Test
  void htbShaperAndProbe() throws Exception {
    String n = name("h");
    Result up = exec("bash", script.toString(), "up", "--name", n, "--rate", "1gbit", "--shaper", "htb", "--no-install");
    assertThat(up.exit()).as(up.out()).isZero();
    assertThat(exec("ip", "netns", "exec", n + "-src", "tc", "class", "show", "dev", n + "s").out()).contains("htb").contains("1Gbit");
    exec("bash", script.toString(), "down", "--name", n);
    assertGone(n);
    Result probe = exec("bash", script.toString(), "probe", "--name", name("p"));
    assertThat(probe.exit()).as(probe.out()).isZero();
    assertThat(probe.out()).contains("PROBE qdisc_tbf=").contains("PROBE qdisc_netem=");
  }

  @Test
  void aFailureAfterSetupTearsDown() throws Exception {
    String n = name("f");
    Path junk = dir.resolve("junk.jar");
    Files.writeString(junk, "not a jar");
    Result r = exec("bash", script.toString(), "run", "--name", n, "--no-install", "--source-jar", junk.toString(),
        "--dest-jar", junk.toString(), "--log-dir", dir.resolve("logs").toString(), "--", "--ram", "1g");
    assertThat(r.exit()).as(r.out()).isNotZero();
    assertThat(r.out()).contains("destination exited before it was ready").contains("TESTBED_DOWN name=" + n);
    assertGone(n);
  }

  @Test
  void terminationAndInterruptTearDown() throws Exception {
    for (String signal : List.of("TERM", "INT")) {
      String n = name(signal.substring(0, 1).toLowerCase());
      ManagedProcess hold =
          ManagedProcess.start("hold", List.of("bash", script.toString(), "hold", "--name", n, "--rate", "1gbit", "--no-install"),
              dir.resolve(n + ".log"));
      assertThat(hold.awaitLine(Pattern.compile("TESTBED_HOLD"), Duration.ofSeconds(30))).as(hold.tail(20)).isPresent();
      assertThat(namespaceExists(n + "-src")).isTrue();
      if (signal.equals("INT") && interruptIgnored(hold.pid())) {
        // A shell started with SIGINT ignored (background job of a non-interactive shell) cannot trap it.
        System.out.println("SIGINT is ignored by the test's child processes here; checked SIGTERM only");
        hold.stop(Duration.ofSeconds(30));
      } else {
        exec("kill", "-" + signal, Long.toString(hold.pid()));
        assertThat(hold.waitFor(Duration.ofSeconds(30))).isTrue();
      }
      assertThat(hold.tail(5)).contains("TESTBED_DOWN name=" + n);
      assertGone(n);
    }
  }

  private static boolean interruptIgnored(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status")))
      if (line.startsWith("SigIgn:")) return (Long.parseLong(line.substring(7).trim(), 16) & 0x2) != 0;
    return false;
  }

  @Test
  void aMigrationPointRunsInsideWithRttThroughTheRelay() throws Exception {
    MigrationPointRunner runner = new MigrationPointRunner(FakeLaunch.fakes());
    RunPoint p =
        TestRows.point("n", PointKind.MIGRATION,
            Map.of("testbed", "netns", "linkRate", "1gbit", "rttMillis", "100", "sourceJvmOpts", "-Xmx64m",
                "destJvmOpts", "-Xmx64m", "timeoutSeconds", "60"), 0);
    ResultRow row = runner.run(p, dir.resolve("run"));
    assertThat(row.error()).isNull();
    assertThat(row.outputs()).containsEntry("linkRateVia", "tbf");
    // netem where the kernel has it, else the relay; either way the RTT must be there.
    assertThat((String) row.outputs().get("latencyVia")).isIn("relay", "netem");
    double rtt = new com.fasterxml.jackson.databind.ObjectMapper()
        .readTree(dir.resolve("run/report.json").toFile()).path("parameters").path("measuredRttMillis").asDouble();
    assertThat(rtt).isGreaterThanOrEqualTo(100.0);
    assertThat(Files.readString(dir.resolve("run/testbed.log"))).contains("TESTBED_DOWN");
    assertThat(exec("ip", "netns", "list").out()).doesNotContain("dx");
  }
}
