package io.dbmmigrate.source.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.dbmmigrate.proto.v1.MigrationSummary;
import io.dbmmigrate.report.MigrationReport;
import io.dbmmigrate.report.PostcopyReport;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The post-copy statistics survive the control API: report → summary → report (issue 13). */
class ProtoPostcopyTest {
  static PostcopyReport sample() {
    return new PostcopyReport(
        "hybrid", "after 3 rounds (--postcopy-after-rounds)", 4096, 3900, 196, 7, List.of(12.5, 0.25, 3.0),
        9.75, 1.5, 8.25, 40.0, 812.5, 2, false, List.of("0x1000+0x2000", "0x40000+0x1000"));
  }

  static MigrationReport report(PostcopyReport p) {
    return MigrationReport.builder()
        .migrationId("m-1").outcome(MigrationReport.COMPLETED).match(true).resumed(true)
        .sourceDigest("ab").destDigest("ab").dirtyLogMode("hw").switchPolicy("cost")
        .rounds(3).switchRound(-1).totalMillis(100).bytesSent(10).pagesSent(2).zeroPages(1)
        .verifyMode("strict").postcopy(p).build();
  }

  @Test
  void everyPostcopyFieldRoundTrips() throws Exception {
    PostcopyReport p = sample();
    MigrationSummary s = MigrationSummary.parseFrom(ProtoEvents.toProto(report(p)).toByteArray());
    assertThat(s.hasPostcopy()).isTrue();
    MigrationReport back = ProtoEvents.fromProto(s, "cost", Map.of(), null, List.of());
    assertThat(back.postcopy()).isEqualTo(p);
    // The flat fields older clients read stay filled.
    assertThat(s.getPostcopyMode()).isEqualTo("hybrid");
    assertThat(s.getPostcopyPagesRequested()).isEqualTo(196);
    assertThat(s.getPostcopyRecoveries()).isEqualTo(2);
  }

  @Test
  void noPostcopyStaysNull() {
    MigrationSummary s = ProtoEvents.toProto(report(null));
    assertThat(s.hasPostcopy()).isFalse();
    assertThat(ProtoEvents.fromProto(s, "cost", Map.of(), null, List.of()).postcopy()).isNull();
  }
}
