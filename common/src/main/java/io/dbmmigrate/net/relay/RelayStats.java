package io.dbmmigrate.net.relay;

/**
 * Counters of a {@link Relay}.
 *
 * @param connectionsAccepted client connections accepted so far
 * @param activeConnections connections currently open
 * @param bytesUpstream bytes written to the target (client → target)
 * @param bytesDownstream bytes written to clients (target → client)
 * @param maxQueuedChunks most chunks one direction of an open connection held at once (over 1
 *     means chunks were in flight together: the delay did not serialize them)
 */
public record RelayStats(
    long connectionsAccepted,
    int activeConnections,
    long bytesUpstream,
    long bytesDownstream,
    int maxQueuedChunks) {}
