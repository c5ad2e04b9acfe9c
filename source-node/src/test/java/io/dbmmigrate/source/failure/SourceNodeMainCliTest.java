package io.dbmmigrate.source.failure;

import static org.assertj.core.api.Assertions.assertThat;

import io.dbmmigrate.source.SourceNodeMain;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/** Bad command-line values of source-node: a clear message on stderr and exit code 2, nothing started. */
class SourceNodeMainCliTest {
  static List<Arguments> badCommandLines() {
    List<Arguments> a = new ArrayList<>();
    a.add(Arguments.of(List.of(), "a subcommand is required"));
    a.add(Arguments.of(List.of("frobnicate"), "Unmatched argument"));
    // migrate
    a.add(Arguments.of(List.of("migrate"), "Missing required option: '--target"));
    a.add(Arguments.of(List.of("migrate", "--target", "nohost"), "--target: expected HOST:PORT"));
    a.add(Arguments.of(List.of("migrate", "--target", "h:99999"), "port must be 1..65535"));
    a.add(Arguments.of(List.of("migrate", "--target", "10.1.2.3:7070"), "refusing to connect to 10.1.2.3 without TLS"));
    a.add(Arguments.of(List.of("migrate", "--target", "127.0.0.1:1", "--tls-cert", "x.pem"), "must be given together"));
    a.add(Arguments.of(List.of("migrate", "--target", "127.0.0.1:1", "--tls-cert", "/nonexistent/c.pem",
        "--tls-key", "/nonexistent/k.pem", "--tls-ca", "/nonexistent/ca.pem"), "does not exist"));
    a.add(Arguments.of(List.of("migrate", "--target", "127.0.0.1:1", "--streams", "0"), "--streams must be 1..64"));
    a.add(Arguments.of(List.of("migrate", "--target", "127.0.0.1:1", "--max-rounds", "0"), "--max-rounds must be >= 1"));
    a.add(Arguments.of(List.of("migrate", "--target", "127.0.0.1:1", "--batch-bytes", "5g"), "--batch-bytes"));
    a.add(Arguments.of(List.of("migrate", "--target", "127.0.0.1:1", "--batch-bytes", "lots"), "not a size"));
    a.add(Arguments.of(List.of("migrate", "--target", "127.0.0.1:1", "--dirty-log", "magic"), "--dirty-log"));
    a.add(Arguments.of(List.of("migrate", "--target", "127.0.0.1:1", "--compress", "zstd"), "--compress must be none or lz4"));
    a.add(Arguments.of(List.of("migrate", "--target", "127.0.0.1:1", "--switch-policy", "sometimes"), "--switch-policy"));
    a.add(Arguments.of(List.of("migrate", "--target", "127.0.0.1:1", "--on-no-convergence", "pray"), "--on-no-convergence"));
    a.add(Arguments.of(List.of("migrate", "--target", "127.0.0.1:1", "--ram", "3m"), "multiple of 2 MiB"));
    a.add(Arguments.of(List.of("migrate", "--target", "127.0.0.1:1", "--vcpus", "0"), "vCPU"));
    a.add(Arguments.of(List.of("migrate", "--target", "127.0.0.1:1", "--workload", "bogus"), "bogus"));
    a.add(Arguments.of(List.of("migrate", "--target", "127.0.0.1:1", "--workload", "random:rate=-5"), "rate"));
    a.add(Arguments.of(List.of("migrate", "--target", "127.0.0.1:1", "--backing", "3k"), "4k or 2m"));
    // serve
    a.add(Arguments.of(List.of("serve", "--port", "70000"), "--port must be 0..65535"));
    a.add(Arguments.of(List.of("serve", "--bind", "0.0.0.0"), "refusing to listen on 0.0.0.0 without TLS"));
    a.add(Arguments.of(List.of("serve", "--plaintext", "--allowed-source", "cn:x"), "need mutual TLS"));
    a.add(Arguments.of(List.of("serve", "--max-inbound-bytes", "1k"), "--max-inbound-bytes must be between"));
    // ctl
    a.add(Arguments.of(List.of("ctl", "status"), "Missing required option: '--control"));
    a.add(Arguments.of(List.of("ctl", "status", "--control", "nope"), "--control: expected HOST:PORT"));
    a.add(Arguments.of(List.of("ctl", "status", "--control", "10.1.2.3:7071"), "refusing to connect to 10.1.2.3 without TLS"));
    return a;
  }

  @ParameterizedTest
  @MethodSource("badCommandLines")
  void badValueGivesMessageAndExitCode2(List<String> args, String expected) {
    StringWriter err = new StringWriter();
    CommandLine cmd = SourceNodeMain.commandLine();
    cmd.setErr(new PrintWriter(err, true));
    cmd.setOut(new PrintWriter(new StringWriter(), true));
    int code = cmd.execute(args.toArray(String[]::new));
    assertThat(code).as(err.toString()).isEqualTo(2);
    assertThat(err.toString()).contains(expected);
  }
}
