package io.dbmmigrate.dest;

import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.machine.VmSpec;
import io.dbmmigrate.proto.v1.BeginSessionRequest;
import io.dbmmigrate.proto.v1.Compression;
import io.dbmmigrate.proto.v1.SessionOptions;
import io.dbmmigrate.wire.PageBatchFormat;
import io.dbmmigrate.wire.ProtoConversions;

/**
 * What a BeginSession must pass before anything is allocated, in this order: the contract (version,
 * ids, streams, batch size, compression, test faults, layout), the node's policy limit
 * (--max-guest-bytes, INVALID_ARGUMENT), and whether the node can hold it (guest pages against
 * {@link GuestCapacity}, streams x per-stream buffers against {@link InboundBudget}:
 * RESOURCE_EXHAUSTED).
 *
 * <p>Threading: stateless apart from its injected collaborators; safe for concurrent calls.
 */
final class SessionAdmission {
  private final TargetConfig config;
  private final InboundBudget budget;
  private final GuestCapacity guestCapacity;

  SessionAdmission(TargetConfig config, InboundBudget budget, GuestCapacity guestCapacity) {
    this.config = config;
    this.budget = budget;
    this.guestCapacity = guestCapacity;
  }

  /** The incoming VM's spec, or the refusal; allocates nothing. */
  VmSpec admit(BeginSessionRequest req) throws TargetException {
    if (req.getProtocolVersion() != PageBatchFormat.CONTRACT_VERSION)
      throw TargetException.invalid(
          "protocol version " + Integer.toUnsignedString(req.getProtocolVersion())
              + " is not supported; this node speaks " + PageBatchFormat.CONTRACT_VERSION);
    ClientText.requireId("migration_id", req.getMigrationId());
    ClientText.requireId("source_id", req.getSourceId());
    SessionOptions o = req.getOptions();
    if (o.getStreams() < 1 || o.getStreams() > config.maxStreams())
      throw TargetException.invalid(
          "streams must be 1.." + config.maxStreams() + ", not " + Integer.toUnsignedString(o.getStreams()));
    if (o.getMaxBatchBytes() < PageBatchFormat.MIN_BATCH_BYTES || o.getMaxBatchBytes() > config.maxBatchBytes())
      throw TargetException.invalid(
          "max_batch_bytes must be " + PageBatchFormat.MIN_BATCH_BYTES + ".." + config.maxBatchBytes()
              + ", not " + Integer.toUnsignedString(o.getMaxBatchBytes()));
    if (o.getCompression() != Compression.COMPRESSION_NONE && o.getCompression() != Compression.COMPRESSION_LZ4)
      throw TargetException.invalid("unsupported compression " + o.getCompressionValue());
    if (o.getTestCorruptGfn() != 0 && !config.allowTestFaults())
      throw new TargetException(
          ReceiveError.NOT_PERMITTED,
          "test fault injection refused: destination not started with --allow-test-faults");
    if (!req.hasLayout()) throw TargetException.invalid("layout missing");
    long guestBytes = 0;
    for (var slot : req.getLayout().getSlotsList()) {
      long pagesInSlot = slot.getPageCount();
      if (pagesInSlot < 0 || pagesInSlot > (config.maxGuestBytes() >>> GuestMemory.PAGE_SHIFT)
          || (guestBytes += pagesInSlot << GuestMemory.PAGE_SHIFT) > config.maxGuestBytes())
        throw TargetException.invalid(
            "guest larger than this node accepts (" + config.maxGuestBytes() + " bytes; see --max-guest-bytes)");
    }
    VmSpec spec;
    try {
      spec = ProtoConversions.specForIncoming(req.getLayout(), config.tuning());
    } catch (IllegalArgumentException e) {
      // The conversion's messages name fields and numbers; quoted all the same.
      throw TargetException.invalid("bad layout: " + ClientText.quote(e.getMessage()));
    }
    // Can this node hold it? Guest pages against the guest capacity, streams against the buffers.
    long available = guestCapacity.guestBytesAvailable();
    if (guestBytes > available)
      throw new TargetException(
          ReceiveError.NO_CAPACITY,
          "a guest of " + guestBytes + " bytes does not fit: this node can hold " + available
              + " bytes of guest memory");
    long perStream = ReceiveFootprint.perStreamBytes(o.getMaxBatchBytes(), config.maxInboundMessageBytes());
    long buffers = perStream * o.getStreams();
    if (buffers > budget.capacityBytes())
      throw new TargetException(
          ReceiveError.NO_CAPACITY,
          o.getStreams() + " streams of " + o.getMaxBatchBytes() + "-byte batches need " + buffers
              + " bytes of buffers; this node has " + budget.capacityBytes()
              + " (fewer streams or smaller batches, or raise --max-inflight-bytes)");
    return spec;
  }
}
