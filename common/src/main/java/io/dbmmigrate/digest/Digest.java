package io.dbmmigrate.digest;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * A digest of all guest memory: the flat SHA-256 (equal to {@code sha256sum} of a raw dump of the
 * slots concatenated in slot order) and, optionally, per-chunk SHA-256 digests that locate
 * differences.
 *
 * @param sha256 flat SHA-256, 32 bytes
 * @param chunkSha256 per-chunk digests in memory order (empty when not computed)
 * @param chunkBytes size of one chunk (the last one of a slot may be shorter)
 * @param memoryBytes guest memory covered
 * @param hashMillis time spent hashing
 */
public record Digest(
    byte[] sha256, List<byte[]> chunkSha256, long chunkBytes, long memoryBytes, long hashMillis) {

  public String hex() {
    return HexFormat.of().formatHex(sha256);
  }

  public boolean sameMemoryAs(Digest other) {
    return Arrays.equals(sha256, other.sha256) && memoryBytes == other.memoryBytes;
  }

  /** Indices of chunks whose digests differ (empty when either side has no chunk digests). */
  public List<Integer> differingChunks(Digest other) {
    List<Integer> out = new ArrayList<>();
    if (chunkSha256.isEmpty() || other.chunkSha256.isEmpty() || chunkBytes != other.chunkBytes)
      return out;
    int n = Math.min(chunkSha256.size(), other.chunkSha256.size());
    for (int i = 0; i < n; i++)
      if (!Arrays.equals(chunkSha256.get(i), other.chunkSha256.get(i))) out.add(i);
    for (int i = n; i < Math.max(chunkSha256.size(), other.chunkSha256.size()); i++) out.add(i);
    return out;
  }
}
