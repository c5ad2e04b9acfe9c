package io.dbmmigrate.net.relay;

/**
 * How a {@link Relay} listens and buffers.
 *
 * @param bindAddress address the relay listens on ("127.0.0.1", "0.0.0.0", ...)
 * @param queueCapacityBytes bytes in flight per direction per connection (read, not yet written):
 *     the relay's window. It must exceed rate × one-way delay or the relay, not the link, limits a
 *     single connection's throughput; the default, 64 MiB, covers 10 Gbit/s at 50 ms.
 * @param chunkBytes largest read, and so the granularity of the delay
 * @param rateBytesPerSec link rate per direction shared by all connections (0 = unlimited)
 * @param connectTimeoutMillis timeout of the relay's connection to the target
 * @param seed seed of the jitter samples
 */
public record RelayOptions(
    String bindAddress,
    long queueCapacityBytes,
    int chunkBytes,
    long rateBytesPerSec,
    int connectTimeoutMillis,
    long seed) {
  public RelayOptions {
    if (bindAddress == null || bindAddress.isBlank())
      throw new IllegalArgumentException("bind address missing");
    if (queueCapacityBytes < 1) throw new IllegalArgumentException("queue capacity must be >= 1");
    if (chunkBytes < 1) throw new IllegalArgumentException("chunk size must be >= 1");
    if (rateBytesPerSec < 0) throw new IllegalArgumentException("rate must be >= 0");
    if (connectTimeoutMillis < 0) throw new IllegalArgumentException("connect timeout must be >= 0");
  }

  public static RelayOptions defaults() {
    return new RelayOptions("127.0.0.1", 64L << 20, 64 << 10, 0, 5_000, 1);
  }

  public RelayOptions withBindAddress(String address) {
    return new RelayOptions(address, queueCapacityBytes, chunkBytes, rateBytesPerSec, connectTimeoutMillis, seed);
  }

  public RelayOptions withRateBytesPerSec(long rate) {
    return new RelayOptions(bindAddress, queueCapacityBytes, chunkBytes, rate, connectTimeoutMillis, seed);
  }

  public RelayOptions withQueueCapacityBytes(long bytes) {
    return new RelayOptions(bindAddress, bytes, chunkBytes, rateBytesPerSec, connectTimeoutMillis, seed);
  }

  public RelayOptions withSeed(long newSeed) {
    return new RelayOptions(bindAddress, queueCapacityBytes, chunkBytes, rateBytesPerSec, connectTimeoutMillis, newSeed);
  }
}
