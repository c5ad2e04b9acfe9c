package io.dbmmigrate.digest;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * A digest of all guest memory. The default is a <b>tree</b>: SHA-256 of every chunk ({@code
 * chunkBytes}, 2 MiB, each slot cut separately, see {@link ChunkLayout}) and a root, the SHA-256
 * of the chunk digests concatenated (32 raw bytes each, in memory order). So a user can check the
 * root with their own tools from a raw dump whose slots are whole chunks: {@code split -b 2M dump
 * c.; for f in c.*; do sha256sum "$f"; done | cut -c1-64 | xxd -r -p | sha256sum}. The flat
 * SHA-256 (equal to {@code sha256sum} of a raw dump) is computed only when asked for.
 *
 * @param treeRoot root of the tree, 32 bytes (empty when the peer sent only a flat digest)
 * @param chunkSha256 per-chunk digests in memory order
 * @param sha256 flat SHA-256, 32 bytes, or empty when not computed
 * @param chunkBytes size of one chunk (the last one of a slot may be shorter)
 * @param memoryBytes guest memory covered
 * @param hashMillis time spent hashing
 */
public record Digest(
    byte[] treeRoot,
    List<byte[]> chunkSha256,
    byte[] sha256,
    long chunkBytes,
    long memoryBytes,
    long hashMillis) {

  private static final byte[] NONE = new byte[0];

  public Digest {
    treeRoot = treeRoot == null ? NONE : treeRoot;
    sha256 = sha256 == null ? NONE : sha256;
    chunkSha256 = List.copyOf(chunkSha256);
  }

  public boolean hasTree() {
    return treeRoot.length == 32;
  }

  public boolean hasFlat() {
    return sha256.length == 32;
  }

  /** The root of the tree in hex (the flat digest for a peer that sent only that). */
  public String hex() {
    return HexFormat.of().formatHex(hasTree() ? treeRoot : sha256);
  }

  /** The flat SHA-256 in hex, or "" when not computed. */
  public String flatHex() {
    return hasFlat() ? HexFormat.of().formatHex(sha256) : "";
  }

  public int chunkCount() {
    return chunkSha256.size();
  }

  /**
   * Same memory: the tree roots are equal when both have trees, else the flat digests when both
   * have them; false when there is nothing to compare.
   */
  public boolean sameMemoryAs(Digest other) {
    if (memoryBytes != other.memoryBytes) return false;
    if (hasTree() && other.hasTree())
      return chunkBytes == other.chunkBytes && Arrays.equals(treeRoot, other.treeRoot);
    if (hasFlat() && other.hasFlat()) return Arrays.equals(sha256, other.sha256);
    return false;
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

  /** The root over chunk digests: SHA-256 of their concatenation. */
  public static byte[] rootOf(List<byte[]> chunkDigests) {
    java.security.MessageDigest md = MemoryDigester.sha256();
    for (byte[] c : chunkDigests) md.update(c);
    return md.digest();
  }

  /** True when the root is the root of the chunk digests (a peer's tree is self-consistent). */
  public boolean rootMatchesChunks() {
    return hasTree() && Arrays.equals(treeRoot, rootOf(chunkSha256));
  }
}
