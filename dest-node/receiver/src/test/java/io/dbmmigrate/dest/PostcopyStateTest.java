package io.dbmmigrate.dest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dbmmigrate.digest.ReceiptDigest;
import io.dbmmigrate.memory.ChunkedGuestMemory;
import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.memory.MemorySlotSpec;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class PostcopyStateTest {
  static final List<MemorySlotSpec> SLOTS = List.of(new MemorySlotSpec(0, "ram", 0, 256, false));

  static PostcopyState state(ChunkedGuestMemory m, long... missing) {
    long[] words = new long[4];
    for (long g : missing) words[(int) (g >>> 6)] |= 1L << g;
    return new PostcopyState(m, new ReceiptDigest(SLOTS), 2, words, System::nanoTime);
  }

  @Test
  void aVcpuTouchingAMissingPageWaitsForItAndSeesItsContent() throws Exception {
    ChunkedGuestMemory m = new ChunkedGuestMemory(SLOTS);
    PostcopyState s = state(m, 5, 70);
    List<Long> requests = new CopyOnWriteArrayList<>();
    s.connectUrgent(requests::add);
    byte[] seen = new byte[GuestMemory.PAGE_SIZE];
    Thread vcpu = new Thread(() -> {
      s.awaitPresent(1, 70);
      m.readPage(70, seen, 0);
    });
    vcpu.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (requests.isEmpty() && System.nanoTime() < deadline) Thread.sleep(1);
    assertThat(requests).containsExactly(70L);
    assertThat(vcpu.isAlive()).as("blocked until the page arrives").isTrue();
    byte[] page = new byte[GuestMemory.PAGE_SIZE];
    page[9] = 42;
    assertThat(s.install(70, page, 0)).isFalse(); // page 5 still missing
    vcpu.join(10_000);
    assertThat(vcpu.isAlive()).isFalse();
    assertThat(seen[9]).isEqualTo((byte) 42);
    assertThat(s.isMissing(70)).isFalse();
    assertThat(s.isMissing(5)).isTrue();
    PostcopyState.Stats st = s.stats();
    assertThat(st.blockedMicrosPerVcpu()[1]).isPositive();
    assertThat(st.blockedMicrosPerVcpu()[0]).isZero();
    assertThat(st.requested()).isEqualTo(1);
    assertThat(s.install(5, null, 0)).as("the last page").isTrue();
  }

  @Test
  void unsolicitedPagesAreRefusedAndDuplicatesDroppedWithoutOverwriting() throws Exception {
    ChunkedGuestMemory m = new ChunkedGuestMemory(SLOTS);
    PostcopyState s = state(m, 3);
    assertThatThrownBy(() -> s.install(4, null, 0)).isInstanceOf(TargetException.class).hasMessageContaining("unsolicited");
    assertThatThrownBy(() -> s.install(1L << 40, null, 0)).isInstanceOf(TargetException.class);
    // A gfn whose word index wraps an int (found by HostilePostcopySequencePropertyTest: INTERNAL).
    assertThatThrownBy(() -> s.install((1L << 50) | 0xFFFF_FFFFL << 6, null, 0)).isInstanceOf(TargetException.class);
    assertThat(s.isMissing((1L << 50) | 0xFFFF_FFFFL << 6)).isFalse();
    byte[] page = new byte[GuestMemory.PAGE_SIZE];
    page[0] = 1;
    s.install(3, page, 0);
    m.storeLong(3, 8, 77L); // the guest writes the page
    page[0] = 2;
    s.install(3, page, 0); // a resend after a reconnect
    byte[] now = new byte[GuestMemory.PAGE_SIZE];
    m.readPage(3, now, 0);
    assertThat(now[0]).as("the duplicate did not overwrite").isEqualTo((byte) 1);
    assertThat(s.stats().duplicates()).isEqualTo(1);
  }
}
