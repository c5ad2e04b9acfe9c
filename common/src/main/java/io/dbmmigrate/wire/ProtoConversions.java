package io.dbmmigrate.wire;

import com.google.protobuf.ByteString;
import io.dbmmigrate.digest.Digest;
import io.dbmmigrate.memory.BackingPageSize;
import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.memory.MemorySlotSpec;
import io.dbmmigrate.machine.VcpuSnapshot;
import io.dbmmigrate.machine.VmSpec;
import io.dbmmigrate.proto.v1.MemoryDigest;
import io.dbmmigrate.proto.v1.MemorySlot;
import io.dbmmigrate.proto.v1.VcpuState;
import io.dbmmigrate.proto.v1.VmLayout;
import java.util.ArrayList;
import java.util.List;

/** Converts between the domain types of {@code common} and the v1 wire messages. */
public final class ProtoConversions {
  private ProtoConversions() {}

  public static VmLayout layoutOf(VmSpec spec) {
    VmLayout.Builder b =
        VmLayout.newBuilder()
            .setVcpuCount(spec.vcpuCount())
            .setBackingPageBytes(spec.backing().bytes());
    for (MemorySlotSpec s : spec.slots()) b.addSlots(toProto(s));
    return b.build();
  }

  public static MemorySlot toProto(MemorySlotSpec s) {
    return MemorySlot.newBuilder()
        .setId(s.id())
        .setName(s.name())
        .setBaseGfn(s.baseGfn())
        .setPageCount(s.pageCount())
        .setReadOnly(s.readOnly())
        .build();
  }

  public static MemorySlotSpec fromProto(MemorySlot s) {
    return new MemorySlotSpec(s.getId(), s.getName(), s.getBaseGfn(), s.getPageCount(), s.getReadOnly());
  }

  /**
   * The VmSpec a destination creates for an incoming layout: slot sizes from the layout; the
   * workload is "idle" until the vCPU states arrive with the commit.
   *
   * @throws IllegalArgumentException when the layout is not one this implementation produces
   */
  public static VmSpec specForIncoming(VmLayout layout, io.dbmmigrate.machine.MachineTuning tuning) {
    long ram = -1;
    long rom = 0;
    for (MemorySlot s : layout.getSlotsList()) {
      if (s.getPageCount() <= 0 || s.getPageCount() > (1L << 40))
        throw new IllegalArgumentException("slot " + s.getName() + " has an invalid page count");
      if (s.getReadOnly()) rom = s.getPageCount() * GuestMemory.PAGE_SIZE;
      else ram = s.getPageCount() * GuestMemory.PAGE_SIZE;
    }
    if (ram < 0) throw new IllegalArgumentException("layout has no RAM slot");
    VmSpec spec =
        new VmSpec(
            ram,
            rom,
            layout.getVcpuCount(),
            BackingPageSize.ofBytes(layout.getBackingPageBytes()),
            "idle",
            0,
            tuning);
    List<MemorySlot> expected = layoutOf(spec).getSlotsList();
    if (!expected.equals(layout.getSlotsList()))
      throw new IllegalArgumentException(
          "unsupported slot layout " + layout.getSlotsList() + "; expected " + expected);
    return spec;
  }

  public static VcpuState toProto(VcpuSnapshot v) {
    VcpuState.Builder b =
        VcpuState.newBuilder()
            .setIndex(v.index())
            .setPc(v.pc())
            .setWorkloadSpec(v.workloadSpec())
            .setWorkloadState(ByteString.copyFrom(v.workloadState()))
            .setStoresRetired(v.storesRetired());
    for (long r : v.regs()) b.addRegs(r);
    return b.build();
  }

  public static VcpuSnapshot fromProto(VcpuState s) {
    long[] regs = new long[s.getRegsCount()];
    for (int i = 0; i < regs.length; i++) regs[i] = s.getRegs(i);
    return new VcpuSnapshot(
        s.getIndex(),
        s.getPc(),
        regs,
        s.getWorkloadSpec(),
        s.getWorkloadState().toByteArray(),
        s.getStoresRetired());
  }

  public static List<VcpuSnapshot> fromProto(List<VcpuState> states) {
    List<VcpuSnapshot> out = new ArrayList<>(states.size());
    for (VcpuState s : states) out.add(fromProto(s));
    return out;
  }

  public static MemoryDigest toProto(Digest d) {
    MemoryDigest.Builder b =
        MemoryDigest.newBuilder()
            .setSha256(ByteString.copyFrom(d.sha256()))
            .setChunkBytes(d.chunkBytes())
            .setMemoryBytes(d.memoryBytes())
            .setHashMillis(d.hashMillis());
    for (byte[] c : d.chunkSha256()) b.addChunkSha256(ByteString.copyFrom(c));
    return b.build();
  }

  public static Digest fromProto(MemoryDigest m) {
    List<byte[]> chunks = new ArrayList<>(m.getChunkSha256Count());
    for (ByteString c : m.getChunkSha256List()) chunks.add(c.toByteArray());
    return new Digest(
        m.getSha256().toByteArray(),
        List.copyOf(chunks),
        m.getChunkBytes(),
        m.getMemoryBytes(),
        m.getHashMillis());
  }
}
