package io.dbmmigrate.source.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.dbmmigrate.proto.v1.DowntimeBreakdown;
import io.dbmmigrate.proto.v1.GcPhasePauses;
import io.dbmmigrate.proto.v1.LiveStatistics;
import io.dbmmigrate.proto.v1.MigrationStatus;
import io.dbmmigrate.proto.v1.MigrationSummary;
import io.dbmmigrate.proto.v1.Phase;
import org.junit.jupiter.api.Test;

class CtlStatusTextTest {
  @Test
  void statusPrintsLiveGcPerPhaseAndTheLastDowntimesParts() {
    MigrationStatus s =
        MigrationStatus.newBuilder()
            .setActive(true)
            .setPhase(Phase.PHASE_ROUNDS)
            .setRound(3)
            .setLive(
                LiveStatistics.newBuilder()
                    .addGcPhases(GcPhasePauses.newBuilder().setNode("source").setPhase("setup").setPauses(1).setPauseMillis(2.5))
                    .addGcPhases(GcPhasePauses.newBuilder().setNode("source").setPhase("rounds").setPauses(4).setPauseMillis(12)))
            .setLastSummary(
                MigrationSummary.newBuilder()
                    .setMigrationId("m-1")
                    .setDowntimeMillis(40)
                    .setDowntimeParts(
                        DowntimeBreakdown.newBuilder()
                            .setFinalSyncMillis(1.25)
                            .setFinalSendMillis(30)
                            .setFinalSendPages(77)
                            .setVcpuCaptureMillis(0.5)
                            .setCommitExchangeMillis(3)
                            .setUnaccountedMillis(0.75)
                            .setSourceGcCount(1)
                            .setSourceGcMillis(4)))
            .build();
    String text = CtlCommand.text(s);
    assertThat(text).contains("gc so far: setup 1 x 2.5 ms; rounds 4 x 12.0 ms;");
    assertThat(text)
        .contains(
            "final sync 1.25 ms, final send 30.00 ms (77 pages), vCPU capture 0.50 ms, commit exchange 3.00 ms,"
                + " unaccounted 0.75 ms; GC in downtime: source 1 x 4.00 ms, dest 0 x 0.00 ms");
    // a summary without parts (a failed run) prints none
    String plain = CtlCommand.text(MigrationStatus.newBuilder().setLastSummary(MigrationSummary.getDefaultInstance()).build());
    assertThat(plain).contains("active: none").doesNotContain("downtime parts", "gc so far");
  }
}
