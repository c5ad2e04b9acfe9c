package io.dbmmigrate.dest;

import io.dbmmigrate.memory.GuestMemory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Test-only faults the receiver injects when started with --allow-test-faults. */
final class TestFaults {
  private static final Logger log = LoggerFactory.getLogger(TestFaults.class);

  private TestFaults() {}

  /** Flips one byte of a page after it was applied, so that the digests must differ. */
  static void corruptPage(GuestMemory mem, long gfn) {
    if (mem.slotOf(gfn) == null) return;
    byte[] page = new byte[GuestMemory.PAGE_SIZE];
    mem.readPage(gfn, page, 0);
    page[123] ^= (byte) 0x5a;
    mem.writePage(gfn, page, 0);
    log.warn("TEST FAULT: corrupted gfn 0x{} after applying it", Long.toHexString(gfn));
  }
}
