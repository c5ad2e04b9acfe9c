package io.dbmmigrate.report;

/**
 * What one downtime consists of (DESIGN.md "Measurement fidelity"), in the order it happens. The
 * downtime is measured on the source: pause → the destination's answer to the commit (resume
 * acknowledged), minus the verification hashing on both nodes. The timed parts below add up to it;
 * whatever they miss is {@code unaccountedMillis} (bookkeeping between the parts, clock
 * resolution), so that nothing is hidden. Times in milliseconds; doubles are always finite.
 *
 * <p>Parts on the source: {@code pauseMillis} (stopping the vCPUs), {@code finalSyncMillis}
 * (dirty-log sync; {@code finalSyncPtes} PTEs visited), {@code finalSendMillis} (last pages, {@code
 * finalSendPages} / {@code finalSendBytes}, until every stream was acknowledged, i.e. the last
 * batch was applied on the destination), {@code vcpuCaptureMillis}, {@code commitExchangeMillis}
 * (the commit call as the source sees it, minus the destination's own parts: messages on the wire
 * and their (un)marshalling). Parts on the destination: {@code destCompletenessMillis} (commit
 * received → every batch checked against the manifest), {@code destRestoreMillis} (→ vCPU states
 * restored: ready to resume), {@code destResumeMillis} (after hashing → VM resumed, answer sent).
 *
 * <p>Not added up, beside them: {@code destLastBatchToCommitMillis} (the destination's gap between
 * applying the last batch and receiving the commit, which overlaps the source's capture and
 * hashing) and the collector pauses that overlapped the downtime on each node ({@code
 * sourceGcMillis}/{@code sourceGcCount}, {@code destGcMillis}/{@code destGcCount}); a pause makes
 * some part longer, it is not a part of its own.
 */
public record DowntimeParts(
    double pauseMillis,
    double finalSyncMillis,
    long finalSyncPtes,
    double finalSendMillis,
    long finalSendPages,
    long finalSendBytes,
    double vcpuCaptureMillis,
    double commitExchangeMillis,
    double destCompletenessMillis,
    double destRestoreMillis,
    double destResumeMillis,
    double unaccountedMillis,
    double destLastBatchToCommitMillis,
    double sourceGcMillis,
    int sourceGcCount,
    double destGcMillis,
    int destGcCount) {

  /** Sum of the timed parts (everything but the unaccounted remainder). */
  public double accountedMillis() {
    return pauseMillis
        + finalSyncMillis
        + finalSendMillis
        + vcpuCaptureMillis
        + commitExchangeMillis
        + destCompletenessMillis
        + destRestoreMillis
        + destResumeMillis;
  }

  /** True when a collector pause on either node overlapped the downtime. */
  public boolean containsGcPause() {
    return sourceGcCount > 0 || destGcCount > 0;
  }

  /** The same parts with {@code unaccountedMillis} = downtime − accounted parts. */
  public DowntimeParts withRemainderOf(double downtimeMillis) {
    return new DowntimeParts(
        pauseMillis, finalSyncMillis, finalSyncPtes, finalSendMillis, finalSendPages, finalSendBytes,
        vcpuCaptureMillis, commitExchangeMillis, destCompletenessMillis, destRestoreMillis,
        destResumeMillis, downtimeMillis - accountedMillis(), destLastBatchToCommitMillis,
        sourceGcMillis, sourceGcCount, destGcMillis, destGcCount);
  }

  public DowntimeParts withGc(double sourceMillis, int sourceCount, double destMillis, int destCount) {
    return new DowntimeParts(
        pauseMillis, finalSyncMillis, finalSyncPtes, finalSendMillis, finalSendPages, finalSendBytes,
        vcpuCaptureMillis, commitExchangeMillis, destCompletenessMillis, destRestoreMillis,
        destResumeMillis, unaccountedMillis, destLastBatchToCommitMillis, sourceMillis, sourceCount,
        destMillis, destCount);
  }
}
