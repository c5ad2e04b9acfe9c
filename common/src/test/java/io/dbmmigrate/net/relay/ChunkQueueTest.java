package io.dbmmigrate.net.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.dbmmigrate.net.relay.ChunkQueue.Chunk;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ChunkQueueTest {
  @Test
  void keepsOrderAndCountsChunksInFlight() throws Exception {
    ChunkQueue q = new ChunkQueue(1_000);
    assertThat(q.put(new Chunk(new byte[10], 10, 1))).isTrue();
    assertThat(q.put(new Chunk(new byte[10], 10, 2))).isTrue();
    assertThat(q.put(Chunk.endOfStream(3))).isTrue();
    assertThat(q.take().releaseNanos()).isEqualTo(1);
    assertThat(q.take().releaseNanos()).isEqualTo(2);
    assertThat(q.take().isEndOfStream()).isTrue();
    assertThat(q.maxQueuedChunks()).isEqualTo(3);
  }

  @Test
  void aFullQueueBlocksTheProducerUntilTheConsumerTakes() throws Exception {
    ChunkQueue q = new ChunkQueue(100);
    q.put(new Chunk(new byte[80], 80, 1));
    CompletableFuture<Boolean> second =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return q.put(new Chunk(new byte[80], 80, 2));
              } catch (InterruptedException e) {
                throw new IllegalStateException(e);
              }
            });
    Thread.sleep(200);
    assertThat(second).as("80 + 80 bytes exceed the capacity of 100").isNotDone();
    q.take();
    assertThat(second.get(5, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void anOversizedChunkIsAdmittedIntoAnEmptyQueue() throws Exception {
    ChunkQueue q = new ChunkQueue(10);
    assertThat(q.put(new Chunk(new byte[100], 100, 1))).isTrue();
  }

  @Test
  void closeWakesBothSides() throws Exception {
    ChunkQueue q = new ChunkQueue(10);
    CompletableFuture<Chunk> taker =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return q.take();
              } catch (InterruptedException e) {
                throw new IllegalStateException(e);
              }
            });
    q.close();
    assertThat(taker.get(5, TimeUnit.SECONDS)).isNull();
    assertThat(q.put(new Chunk(new byte[1], 1, 1))).isFalse();
  }
}
