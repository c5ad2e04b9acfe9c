package io.dbmmigrate.experiment;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.SortedMap;

/**
 * A run's identity: the first 16 hex digits of SHA-256 over its kind, experiment name, repetition
 * and every hashed parameter (sorted by name, normalized values). A re-run of a spec skips runs
 * whose key already has a successful row; changing any hashed parameter (or adding a value to a
 * grid) yields new keys and only those run. JVM options and timeouts are not hashed.
 */
final class PointKey {
  private PointKey() {}

  static String of(String experiment, PointKind kind, SortedMap<String, String> parameters, int repetition) {
    StringBuilder canonical =
        new StringBuilder("v1;kind=").append(kind.id()).append(";experiment=").append(experiment)
            .append(";rep=").append(repetition);
    for (Map.Entry<String, String> e : parameters.entrySet()) {
      if (!Param.byKey(e.getKey()).hashed()) continue;
      canonical.append(';').append(e.getKey()).append('=').append(e.getValue());
    }
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(canonical.toString().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 missing from the JDK", e);
    }
  }
}
