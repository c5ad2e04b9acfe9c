package io.dbmmigrate.source.migration;

import java.util.Map;

/**
 * The post-copy part of a migration's settings.
 *
 * @param mode precopy, postcopy or hybrid
 * @param afterRounds hybrid: switch to post-copy after this many pre-copy rounds (0: only when
 *     convergence stalls or on {@code ctl postcopy})
 * @param recoverMillis how long post-copy keeps reconnecting a cut or stalled link before the VM
 *     is declared lost
 */
public record PostcopySettings(MigrationMode mode, int afterRounds, long recoverMillis) {
  public static final long DEFAULT_RECOVER_MILLIS = 60_000;
  public static final PostcopySettings PRECOPY = new PostcopySettings(MigrationMode.PRECOPY, 0, DEFAULT_RECOVER_MILLIS);

  public PostcopySettings {
    if (mode == null) throw new IllegalArgumentException("mode missing");
    if (afterRounds < 0 || afterRounds > 10_000)
      throw new IllegalArgumentException("postcopy-after-rounds must be 0..10000, not " + afterRounds);
    if (recoverMillis < 1) throw new IllegalArgumentException("postcopy-recover-millis must be >= 1");
  }

  public void addTo(Map<String, Object> parameters) {
    parameters.put("mode", mode.label());
    parameters.put("postcopyAfterRounds", afterRounds);
    parameters.put("postcopyRecoverMillis", recoverMillis);
  }
}
