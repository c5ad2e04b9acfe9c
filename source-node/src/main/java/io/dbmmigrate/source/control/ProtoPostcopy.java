package io.dbmmigrate.source.control;

import io.dbmmigrate.proto.v1.MigrationSummary;
import io.dbmmigrate.proto.v1.PostcopyStats;
import io.dbmmigrate.report.PostcopyReport;

/**
 * Converts the post-copy statistics of a report to and from the control API's {@link
 * PostcopyStats} (issue 13): every field of {@link PostcopyReport} round-trips.
 */
final class ProtoPostcopy {
  private ProtoPostcopy() {}

  static PostcopyStats toProto(PostcopyReport r) {
    PostcopyStats.Builder b =
        PostcopyStats.newBuilder()
            .setMode(r.mode() == null ? "" : r.mode())
            .setTrigger(r.trigger() == null ? "" : r.trigger())
            .setMissingAtSwitchover(r.missingAtSwitchover())
            .setPagesPushed(r.pagesPushed())
            .setPagesRequested(r.pagesRequested())
            .setDuplicatePages(r.duplicatePages())
            .addAllBlocktimeMillisPerVcpu(r.blocktimeMillisPerVcpu())
            .setBlocktimeMillisTotal(r.blocktimeMillisTotal())
            .setRequestLatencyP50Millis(r.requestLatencyP50Millis())
            .setRequestLatencyP99Millis(r.requestLatencyP99Millis())
            .setRequestLatencyMaxMillis(r.requestLatencyMaxMillis())
            .setLastPageMillis(r.lastPageMillis())
            .setRecoveries(r.recoveries())
            .setReceiptMatch(r.receiptMatch())
            .addAllMismatchedRanges(r.mismatchedRanges());
    return b.build();
  }

  /** The summary's post-copy statistics, or null when no post-copy ran. */
  static PostcopyReport fromProto(MigrationSummary s) {
    if (!s.hasPostcopy()) return null;
    PostcopyStats p = s.getPostcopy();
    return new PostcopyReport(
        p.getMode().isEmpty() ? null : p.getMode(),
        p.getTrigger().isEmpty() ? null : p.getTrigger(),
        p.getMissingAtSwitchover(),
        p.getPagesPushed(),
        p.getPagesRequested(),
        p.getDuplicatePages(),
        p.getBlocktimeMillisPerVcpuList(),
        p.getBlocktimeMillisTotal(),
        p.getRequestLatencyP50Millis(),
        p.getRequestLatencyP99Millis(),
        p.getRequestLatencyMaxMillis(),
        p.getLastPageMillis(),
        p.getRecoveries(),
        p.getReceiptMatch(),
        p.getMismatchedRangesList());
  }
}
