package io.dbmmigrate.dest;

import static org.assertj.core.api.Assertions.assertThat;

import io.dbmmigrate.machine.VirtualMachine;
import io.dbmmigrate.memory.BackingFile;
import io.dbmmigrate.memory.ChunkedGuestMemory;
import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.memory.MemorySlotSpec;
import io.dbmmigrate.proto.v1.CommitResponse;
import io.dbmmigrate.proto.v1.BeginSessionResponse;
import io.dbmmigrate.proto.v1.PageBatch;
import io.grpc.Status.Code;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * WarmUpPages (target.proto): batches checked like SendPages' but placed into a scratch memory,
 * never into the VM; refusals end the warm-up call only, and the session then receives, commits
 * and resumes as without a warm-up.
 */
class WarmUpPagesTest {
  static TargetHarness h;
  static VirtualMachine vm;

  @BeforeAll
  static void start() throws Exception {
    // No floor on the warm-up allowance here, so that going beyond it takes a few MiB, not 32 GiB.
    h = TargetHarness.inProcess(TargetHarness.config(false).withMinWarmUpBytes(0));
    vm = TargetHarness.sourceVm(7, 300);
  }

  @AfterAll
  static void stop() {
    if (vm != null) vm.close();
    if (h != null) h.close();
  }

  /** Every RAM page of the source VM as one stream's batches of a warm-up. */
  static List<PageBatch> allRam(String session) {
    MemorySlotSpec ram = TargetHarness.ram(vm);
    return TargetHarness.batches(
        vm, session, 0, 0, LongStream.range(ram.baseGfn(), ram.endGfn()).toArray(), false);
  }

  private static long pagesInTheVm() {
    VirtualMachine receiving = h.receiver.receivingVm().orElseThrow();
    return ((ChunkedGuestMemory) receiving.memory()).pagesAllocated();
  }

  private static void migrateAndMatch(String session) {
    List<List<PageBatch>> r0 = TargetHarness.round0(vm, session);
    for (List<PageBatch> stream : r0) assertThat(h.send(stream).ok()).isTrue();
    CommitResponse c = h.blocking().commit(h.commitRequest(vm, session, TargetHarness.manifest(r0, 0)).build());
    assertThat(c.getMatch()).isTrue();
    assertThat(c.getResumed()).isTrue();
  }

  @Test
  void aWarmUpPlacesNothingInTheVmAndTheMigrationStillMatches() {
    String s = h.begin();
    final long before = pagesInTheVm(); // the ROM the destination fills at creation
    List<PageBatch> warm = allRam(s);
    TargetHarness.StreamResult r = h.warmUp(warm);
    assertThat(r.ok()).as("%s", r.status()).isTrue();
    assertThat(r.summary().getBatches()).isEqualTo(warm.size());
    assertThat(r.summary().getPages()).isEqualTo(TargetHarness.ram(vm).pageCount());
    assertThat(pagesInTheVm()).as("the VM's memory after a warm-up").isEqualTo(before);
    assertThat(h.receiver.receivingNow()[2]).as("pages applied to the session").isZero();
    // A second call: the session's warm-up counters add up over its calls (shared, as the VM's
    // counters are shared by its streams).
    TargetHarness.StreamResult again = h.warmUp(warm);
    assertThat(again.ok()).as("%s", again.status()).isTrue();
    assertThat(h.receiver.receivingNow()[4])
        .as("warm-up bytes of the session's two calls")
        .isEqualTo(r.summary().getBytes() + again.summary().getBytes())
        .isPositive();
    migrateAndMatch(s);
  }

  @Test
  void beginSessionAdvertisesTheLargerOfTheGuestsSizeAndTheNodesWarmUpFloor() throws Exception {
    final long guestBytes = vm.memory().totalPages() * GuestMemory.PAGE_SIZE;
    BeginSessionResponse r = h.blocking().beginSession(h.beginRequest(0).build());
    assertThat(h.abort(r.getSessionId())).isTrue();
    assertThat(r.getMaxWarmUpBytes()).as("no floor: the guest's size").isEqualTo(guestBytes);
    try (TargetHarness floored =
        TargetHarness.inProcess(TargetHarness.config(false).withMinWarmUpBytes(4 * guestBytes))) {
      assertThat(floored.blocking().beginSession(floored.beginRequest(0).build()).getMaxWarmUpBytes())
          .as("the floor, above the guest's size").isEqualTo(4 * guestBytes);
    }
    assertThat(TargetConfig.defaults().warmUpBytesFor(guestBytes)).isEqualTo(TargetConfig.DEFAULT_MIN_WARM_UP_BYTES);
    assertThat(TargetConfig.defaults().warmUpBytesFor(64L << 30)).isEqualTo(64L << 30);
  }

  @Test
  void aHostileWarmUpEndsItsCallOnlyAndTheSessionGoesOn() {
    String s = h.begin();
    final long before = pagesInTheVm();
    // A page outside every slot: INVALID_ARGUMENT, as in SendPages.
    PageBatch outside =
        HostileInputTest.rawBatch(s, 0, 0, 0, HostileInputTest.zeroRecords(TargetHarness.ram(vm).endGfn() + 5), 1);
    assertThat(h.warmUp(List.of(outside)).code()).isEqualTo(Code.INVALID_ARGUMENT);
    // A batch numbered twice in one call: ALREADY_EXISTS, as in SendPages (the call's own ledger).
    List<PageBatch> ram = allRam(s);
    assertThat(h.warmUp(List.of(ram.get(0), ram.get(0))).code()).isEqualTo(Code.ALREADY_EXISTS);
    // A session this node does not know: NOT_FOUND.
    assertThat(h.warmUp(allRam("no-such-session").subList(0, 1)).code()).isEqualTo(Code.NOT_FOUND);
    // More than twice what BeginSession advertised (here the guest's size) plus 1 MiB in one
    // session: RESOURCE_EXHAUSTED.
    final long allowed = 2 * vm.memory().totalPages() * GuestMemory.PAGE_SIZE + (1 << 20);
    List<PageBatch> tooMuch = new ArrayList<>();
    long bytes = 0;
    while (bytes <= allowed)
      for (PageBatch b : allRam(s)) { // numbered on, as one call's batches must be
        tooMuch.add(b.toBuilder().setSequence(tooMuch.size()).build());
        bytes += b.getPayload().size();
      }
    assertThat(h.warmUp(tooMuch).code()).isEqualTo(Code.RESOURCE_EXHAUSTED);
    assertThat(pagesInTheVm()).isEqualTo(before);
    migrateAndMatch(s);
  }

  /**
   * The warm-up's scratch memory is of the VM memory's kind: sparse for a sparse VM; for a VM whose
   * memory is preallocated and populated (--prealloc-ram), sparse with a sample of populated
   * blocks, so that the warm-up writes pages both ways round 0 may.
   */
  @Test
  void aWarmUpScratchIsSampledWhereTheVmsMemoryIsPopulated() {
    final int block = 512;
    List<MemorySlotSpec> layout =
        List.of(new MemorySlotSpec(0, "rom", 0, 8, true), new MemorySlotSpec(1, "ram", 1 << 18, 40 * block, false));
    ChunkedGuestMemory populated = ChunkedGuestMemory.preallocated(layout, BackingFile.defaultDir(), 2);
    ChunkedGuestMemory sparse = new ChunkedGuestMemory(layout);
    try {
      BatchTarget warm = scratchOf(populated);
      ChunkedGuestMemory m = (ChunkedGuestMemory) warm.memory;
      assertThat(m.slots()).isEqualTo(layout);
      assertThat(m.populated()).as("not all of it").isFalse();
      for (int b = 0; b < 40; b++)
        assertThat(m.isPopulated((1 << 18) + (long) b * block))
            .as("RAM block %d", b)
            .isEqualTo(b % BatchTarget.WARM_UP_POPULATED_EVERY_BLOCKS == 0);
      assertThat(m.isPopulated(0)).as("the ROM's block").isTrue();
      warm.release();
      BatchTarget cold = scratchOf(sparse);
      ChunkedGuestMemory c = (ChunkedGuestMemory) cold.memory;
      for (int b = 0; b < 40; b++) assertThat(c.isPopulated((1 << 18) + (long) b * block)).isFalse();
      cold.release();
    } finally {
      populated.close();
      sparse.close();
    }
  }

  private static BatchTarget scratchOf(GuestMemory vmMemory) {
    return BatchTarget.scratch(vmMemory, 1, new AtomicLong(), new AtomicLong(), new AtomicLong(Long.MAX_VALUE), Long.MAX_VALUE);
  }
}
