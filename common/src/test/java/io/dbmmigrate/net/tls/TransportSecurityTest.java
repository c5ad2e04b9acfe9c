package io.dbmmigrate.net.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TransportSecurityTest {
  @Test
  void loopbackDetectionNeverResolvesNames() {
    assertThat(TransportSecurity.isLoopback("127.0.0.1")).isTrue();
    assertThat(TransportSecurity.isLoopback("127.1.2.3")).isTrue();
    assertThat(TransportSecurity.isLoopback("::1")).isTrue();
    assertThat(TransportSecurity.isLoopback("[::1]")).isTrue();
    assertThat(TransportSecurity.isLoopback("localhost")).isTrue();
    assertThat(TransportSecurity.isLoopback("0.0.0.0")).isFalse();
    assertThat(TransportSecurity.isLoopback("10.0.0.1")).isFalse();
    assertThat(TransportSecurity.isLoopback("dest.example")).isFalse();
  }

  @Test
  void plaintextOnARoutableAddressNeedsToBeAskedFor() {
    assertThat(TransportSecurity.decide(null, false, false, "127.0.0.1", "listen on"))
        .isEqualTo(TransportSecurity.Mode.PLAINTEXT_LOOPBACK);
    assertThat(TransportSecurity.decide(null, false, true, "0.0.0.0", "listen on"))
        .isEqualTo(TransportSecurity.Mode.PLAINTEXT_EXPLICIT);
    assertThatThrownBy(() -> TransportSecurity.decide(null, false, false, "0.0.0.0", "listen on"))
        .hasMessageContaining("refusing to listen on 0.0.0.0 without TLS")
        .hasMessageContaining("--plaintext");
  }

  @Test
  void tlsFilesMustBeCompleteReadableAndNotCombinedWithPlaintext(@TempDir Path dir) {
    assertThatThrownBy(() -> TransportSecurity.decide(null, true, false, "127.0.0.1", "listen on"))
        .hasMessageContaining("must be given together");
    TlsFiles missing = new TlsFiles(dir.resolve("a.pem"), dir.resolve("b.pem"), dir.resolve("c.pem"));
    assertThatThrownBy(() -> TransportSecurity.decide(missing, false, false, "0.0.0.0", "listen on"))
        .hasMessageContaining("a.pem does not exist");
    TlsFiles files = DevPki.create("test-ca").writeNode(dir, "node");
    assertThat(TransportSecurity.decide(files, false, false, "0.0.0.0", "listen on"))
        .isEqualTo(TransportSecurity.Mode.MUTUAL_TLS);
    assertThatThrownBy(() -> TransportSecurity.decide(files, false, true, "0.0.0.0", "listen on"))
        .hasMessageContaining("contradicts");
  }

  @Test
  void hostOfHandlesIpv6Brackets() {
    assertThat(TlsOptions.hostOf("dest:7070")).isEqualTo("dest");
    assertThat(TlsOptions.hostOf("[::1]:7070")).isEqualTo("::1");
    assertThat(TlsOptions.hostOf("dest")).isEqualTo("dest");
  }
}
