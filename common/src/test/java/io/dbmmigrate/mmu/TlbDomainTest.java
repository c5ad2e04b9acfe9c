package io.dbmmigrate.mmu;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class TlbDomainTest {
  @Test
  void invalidationWaitsForAStoreWindowThatIsOpen() throws Exception {
    TlbDomain tlb = new TlbDomain(2);
    tlb.enter(1);
    AtomicBoolean done = new AtomicBoolean();
    CountDownLatch started = new CountDownLatch(1);
    Thread t = new Thread(() -> {
      started.countDown();
      tlb.invalidateAll();
      done.set(true);
    });
    t.start();
    started.await();
    t.join(200);
    assertThat(done).as("must not complete while vCPU 1 has a store in flight").isFalse();
    tlb.exit(1);
    t.join(TimeUnit.SECONDS.toMillis(30));
    assertThat(done).isTrue();
    assertThat(tlb.invalidations()).isEqualTo(1);
  }

  @Test
  void closedWindowsDoNotBlockAndTheGenerationMoves() {
    TlbDomain tlb = new TlbDomain(3);
    tlb.enter(0);
    tlb.exit(0);
    long g = tlb.generation();
    tlb.invalidateAll();
    tlb.kickAll();
    assertThat(tlb.generation()).isEqualTo(g + 2);
    assertThat(tlb.invalidations()).as("a kick is not an invalidation").isEqualTo(1);
  }

  @Test
  void theBrokenVariantReturnsWithAStoreInFlight() {
    TlbDomain tlb = new TlbDomain(1, false);
    tlb.enter(0);
    tlb.invalidateAll(); // would hang if it waited
    tlb.exit(0);
    assertThat(tlb.invalidations()).isEqualTo(1);
  }
}
