package io.dbmmigrate.dest;

import static org.assertj.core.api.Assertions.assertThat;

import io.dbmmigrate.net.tls.DevPki;
import io.dbmmigrate.net.tls.TlsFiles;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/** Bad command-line values: a clear message on stderr and exit code 2, before anything starts. */
class DestNodeMainCliTest {
  @TempDir static Path dir;
  static TlsFiles tls;

  @BeforeAll
  static void certs() {
    tls = DevPki.create("cli-ca").writeNode(dir, "dest-node");
  }

  static List<Arguments> badCommandLines() {
    String cert = tls.certChain().toString();
    String key = tls.privateKey().toString();
    String ca = tls.trustedCa().toString();
    List<Arguments> a = new ArrayList<>();
    a.add(Arguments.of(List.of("--port", "-1"), "--port must be 0..65535"));
    a.add(Arguments.of(List.of("--port", "70000"), "--port must be 0..65535"));
    a.add(Arguments.of(List.of("--port", "seven"), "'seven' is not an int"));
    a.add(Arguments.of(List.of("--max-batch-bytes", "1k"), "--max-batch-bytes must be between"));
    a.add(Arguments.of(List.of("--max-batch-bytes", "1q"), "not a size"));
    a.add(Arguments.of(List.of("--max-batch-bytes", "1g"), "--max-batch-bytes must be between"));
    a.add(Arguments.of(List.of("--max-streams", "0"), "--max-streams must be 1..1024"));
    a.add(Arguments.of(List.of("--max-guest-bytes", "1m"), "--max-guest-bytes must be at least 2m"));
    a.add(Arguments.of(List.of("--session-idle-timeout-ms", "5"), "--session-idle-timeout-ms must be >= 100"));
    a.add(Arguments.of(List.of("--max-inflight-bytes", "64k"), "--max-inflight-bytes must be at least 1m"));
    a.add(Arguments.of(List.of("--max-verify-millis", "0"), "--max-verify-millis must be positive"));
    a.add(Arguments.of(List.of("--flow-control-window", "1k"), "--flow-control-window must be between 64k and 256m"));
    a.add(Arguments.of(List.of("--max-frame-size", "8k"), "--max-frame-size must be between 16k and 16m - 1"));
    a.add(Arguments.of(List.of("--max-frame-size", "16m"), "--max-frame-size must be between 16k and 16m - 1"));
    a.add(Arguments.of(List.of("--prealloc-ram", "5000"), "--prealloc-ram must be a multiple of 4k"));
    a.add(Arguments.of(List.of("--prealloc-ram", "8g", "--max-guest-bytes", "4g"), "up to --max-guest-bytes"));
    a.add(Arguments.of(List.of("--no-such-option"), "Unknown option"));
    a.add(Arguments.of(List.of("--bind", "0.0.0.0"), "refusing to listen on 0.0.0.0 without TLS"));
    a.add(Arguments.of(List.of("--tls-cert", cert), "must be given together"));
    a.add(Arguments.of(List.of("--tls-cert", cert, "--tls-key", key, "--tls-ca", dir.resolve("nope.pem").toString(),
        "--allowed-source", "cn:source-node"), "nope.pem does not exist"));
    a.add(Arguments.of(List.of("--tls-cert", cert, "--tls-key", key, "--tls-ca", ca, "--plaintext"), "contradicts"));
    a.add(Arguments.of(List.of("--tls-cert", cert, "--tls-key", key, "--tls-ca", ca), "--allowed-source is required"));
    a.add(Arguments.of(List.of("--tls-cert", cert, "--tls-key", key, "--tls-ca", ca, "--allowed-source", "cn:"),
        "no name after the prefix"));
    a.add(Arguments.of(List.of("--plaintext", "--allowed-source", "cn:source-node"), "need mutual TLS"));
    // A certificate file that is not a certificate: loading fails with a message, not a stack trace.
    a.add(Arguments.of(List.of("--tls-cert", ca.replace("ca.pem", "dest-node-key.pem"), "--tls-key", key, "--tls-ca", ca,
        "--allowed-source", "*"), "is not a PEM certificate file"));
    // A key in a format the transport cannot load (a certificate given as key).
    a.add(Arguments.of(List.of("--tls-cert", cert, "--tls-key", ca, "--tls-ca", ca, "--allowed-source", "*"),
        "is not an unencrypted PKCS#8 PEM private key"));
    return a;
  }

  @ParameterizedTest
  @MethodSource("badCommandLines")
  void badValueGivesMessageAndExitCode2(List<String> args, String expected) {
    StringWriter err = new StringWriter();
    CommandLine cmd = new CommandLine(new DestNodeMain());
    cmd.setErr(new PrintWriter(err, true));
    cmd.setOut(new PrintWriter(new StringWriter(), true));
    int code = cmd.execute(args.toArray(String[]::new));
    assertThat(code).as(err.toString()).isEqualTo(2);
    assertThat(err.toString()).contains(expected);
  }

  @org.junit.jupiter.api.Test
  void aNodeRefusesToReplaceItsVmUnlessStartedWithAcceptReplace() {
    DestNodeMain plain = new DestNodeMain();
    new CommandLine(plain).parseArgs("--port", "0");
    assertThat(plain.newHost().replacePolicy()).isEqualTo(io.dbmmigrate.machine.VmHost.ReplacePolicy.REFUSE);
    DestNodeMain replacing = new DestNodeMain();
    new CommandLine(replacing).parseArgs("--port", "0", "--accept-replace");
    assertThat(replacing.newHost().replacePolicy())
        .isEqualTo(io.dbmmigrate.machine.VmHost.ReplacePolicy.ACCEPT_REPLACE);
  }
}
