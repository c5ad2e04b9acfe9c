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
    return new MigrationReport(
        "m-1", MigrationReport.COMPLETED, null, true, true, "ab", "ab", "hw", "cost", 3, -1, 100, 1, 2, 0, 10, 2, 1,
        0, 0, 0, 0, Map.of(), null, List.of(), List.of(), null, null, null, null, "strict", p);
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
