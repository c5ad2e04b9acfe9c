package io.dbmmigrate.dest;

import static io.dbmmigrate.dest.TargetHarness.codeOf;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.dbmmigrate.memory.MemorySlotSpec;
import io.dbmmigrate.machine.VirtualMachine;
import io.dbmmigrate.machine.VmHost;
import io.dbmmigrate.proto.v1.BeginSessionRequest;
import io.dbmmigrate.proto.v1.CommitRequest;
import io.dbmmigrate.proto.v1.CommitResponse;
import io.dbmmigrate.proto.v1.Compression;
import io.dbmmigrate.proto.v1.HeartbeatRequest;
import io.dbmmigrate.proto.v1.MemorySlot;
import io.dbmmigrate.proto.v1.PageBatch;
import io.dbmmigrate.proto.v1.StreamManifest;
import io.dbmmigrate.proto.v1.VmLayout;
import io.dbmmigrate.wire.PageBatchFormat;
import io.grpc.Status.Code;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import io.grpc.stub.StreamObserver;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile input against one long-lived destination (the real service, real simulated VMs): each
 * case sends something a correct source never would and must get a clear gRPC status; then the
 * destination must host no VM (nothing resumed), the session must be gone (its Commit answers
 * NOT_FOUND), and a correct migration on the same server must then match and resume.
 */
class HostileInputTest {
  static TargetHarness h;
  static VirtualMachine vm;
  static final AtomicInteger correctMigrations = new AtomicInteger();

  @BeforeAll
  static void start() throws Exception {
    h = TargetHarness.inProcess(TargetHarness.config(false));
    vm = TargetHarness.sourceVm(42, 200);
  }

  @AfterAll
  static void stop() {
    System.out.println("HostileInputTest: " + correctMigrations.get() + " correct migrations after hostile input, all matched");
    if (vm != null) vm.close();
    if (h != null) h.close();
  }

  @BeforeEach
  void emptyNode() {
    h.host.close(); // drop the VM the previous case's correct migration left running
  }

  /** What one hostile case did: the status code it got and the session it used (or null). */
  record Outcome(Code code, String session) {}

  // ---- helpers that build hostile batches ----

  static PageBatch validFirstBatch(String session) {
    return TargetHarness.round0(vm, session).get(0).get(0);
  }

  static int crc(byte[] b) {
    CRC32C c = new CRC32C();
    c.update(b, 0, b.length);
    return (int) c.getValue();
  }

  /** A batch with this raw (uncompressed) payload and a correct CRC. */
  static PageBatch rawBatch(String session, int stream, int round, int seq, byte[] payload, int pageCount) {
    return PageBatch.newBuilder().setSessionId(session).setStream(stream).setRound(round).setSequence(seq)
        .setPageCount(pageCount).setRawBytes(payload.length).setCompression(Compression.COMPRESSION_NONE)
        .setCrc32C(crc(payload)).setPayload(ByteString.copyFrom(payload)).build();
  }

  /** n records: zero-page markers for the given gfns (content-free, always well-formed). */
  static byte[] zeroRecords(long... gfns) {
    ByteBuffer b = ByteBuffer.allocate(gfns.length * PageBatchFormat.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    for (long g : gfns) b.putLong(g | PageBatchFormat.ZERO_FLAG);
    return b.array();
  }

  static Outcome sendOne(String session, PageBatch b) {
    return new Outcome(h.send(List.of(b)).code(), session);
  }

  static Outcome sendBatches(String session, List<PageBatch> bs) {
    return new Outcome(h.send(bs).code(), session);
  }

  static Outcome batchCase(BiFunction<String, MemorySlotSpec, PageBatch> make) {
    String s = h.begin();
    return sendOne(s, make.apply(s, TargetHarness.ram(vm)));
  }

  static Outcome beginCase(BeginSessionRequest req) {
    return new Outcome(codeOf(() -> h.blocking().beginSession(req)), null);
  }

  static BeginSessionRequest.Builder begin() {
    return h.beginRequest(0);
  }

  static VmLayout.Builder layout() {
    return begin().getLayout().toBuilder();
  }

  /** Sends all of round 0 correctly, then commits with the request edited by f. */
  static Outcome commitCase(java.util.function.BiConsumer<CommitRequest.Builder, List<List<PageBatch>>> f) {
    String s = h.begin();
    List<List<PageBatch>> r0 = TargetHarness.round0(vm, s);
    for (List<PageBatch> stream : r0) assertThat(h.send(stream).ok()).isTrue();
    CommitRequest.Builder c = h.commitRequest(vm, s, TargetHarness.manifest(r0, 0));
    f.accept(c, r0);
    CommitResponse[] r = new CommitResponse[1];
    Code code = codeOf(() -> r[0] = h.blocking().commit(c.build()));
    if (code == Code.OK) {
      // A commit that "succeeds" at the RPC level must still refuse to resume a wrong VM.
      assertThat(r[0].getMatch()).as("match").isFalse();
      assertThat(r[0].getResumed()).as("resumed").isFalse();
      return new Outcome(Code.OK, s); // answered, but match=false and resumed=false (checked above)
    }
    return new Outcome(code, s);
  }

  static List<Arguments> cases() {
    List<Arguments> a = new ArrayList<>();
    // --- malformed and corrupt batches ---
    a.add(Arguments.of("CRC-corrupted payload (one byte flipped)", Code.INVALID_ARGUMENT, (Runnable2) () -> batchCase((s, ram) -> {
      PageBatch b = validFirstBatch(s);
      byte[] p = b.getPayload().toByteArray();
      p[p.length / 2] ^= 1;
      return b.toBuilder().setPayload(ByteString.copyFrom(p)).build();
    })));
    a.add(Arguments.of("wrong CRC field", Code.INVALID_ARGUMENT, (Runnable2) () -> batchCase((s, ram) -> {
      PageBatch b = validFirstBatch(s);
      return b.toBuilder().setCrc32C(b.getCrc32C() + 1).build();
    })));
    a.add(Arguments.of("page_count larger than the records", Code.INVALID_ARGUMENT, (Runnable2) () -> batchCase((s, ram) ->
        rawBatch(s, 0, 0, 0, zeroRecords(ram.baseGfn()), 2))));
    a.add(Arguments.of("page_count smaller than the records", Code.INVALID_ARGUMENT, (Runnable2) () -> batchCase((s, ram) ->
        rawBatch(s, 0, 0, 0, zeroRecords(ram.baseGfn(), ram.baseGfn() + 1), 1))));
    a.add(Arguments.of("truncated page content", Code.INVALID_ARGUMENT, (Runnable2) () -> batchCase((s, ram) -> {
      ByteBuffer b = ByteBuffer.allocate(8 + 100).order(ByteOrder.LITTLE_ENDIAN);
      b.putLong(ram.baseGfn());
      return rawBatch(s, 0, 0, 0, b.array(), 1);
    })));
    a.add(Arguments.of("truncated record header", Code.INVALID_ARGUMENT, (Runnable2) () -> batchCase((s, ram) ->
        rawBatch(s, 0, 0, 0, new byte[] {1, 2, 3}, 0))));
    a.add(Arguments.of("raw_bytes disagrees with an uncompressed payload", Code.INVALID_ARGUMENT, (Runnable2) () -> batchCase((s, ram) ->
        rawBatch(s, 0, 0, 0, zeroRecords(ram.baseGfn()), 1).toBuilder().setRawBytes(16).build())));
    a.add(Arguments.of("LZ4 garbage with a valid CRC", Code.INVALID_ARGUMENT, (Runnable2) () -> batchCase((s, ram) -> {
      byte[] junk = new byte[512];
      new java.util.Random(5).nextBytes(junk);
      return rawBatch(s, 0, 0, 0, junk, 1).toBuilder().setCompression(Compression.COMPRESSION_LZ4).setRawBytes(4104).build();
    })));
    a.add(Arguments.of("unknown compression", Code.INVALID_ARGUMENT, (Runnable2) () -> batchCase((s, ram) ->
        rawBatch(s, 0, 0, 0, zeroRecords(ram.baseGfn()), 1).toBuilder().setCompressionValue(7).build())));
    a.add(Arguments.of("oversized raw_bytes claim (4 GiB - 1)", Code.INVALID_ARGUMENT, (Runnable2) () -> batchCase((s, ram) ->
        validFirstBatch(s).toBuilder().setRawBytes(-1).build())));
    a.add(Arguments.of("oversized batch (twice max_batch_bytes of valid records)", Code.INVALID_ARGUMENT, (Runnable2) () -> batchCase((s, ram) -> {
      int n = 2 * TargetHarness.BATCH_BYTES / PageBatchFormat.FULL_RECORD_BYTES;
      ByteBuffer b = ByteBuffer.allocate(n * PageBatchFormat.FULL_RECORD_BYTES).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < n; i++) {
        b.putLong(ram.baseGfn() + i);
        b.position(b.position() + 4096);
      }
      return rawBatch(s, 0, 0, 0, b.array(), n);
    })));
    // --- out of range ---
    a.add(Arguments.of("page beyond the end of guest RAM", Code.INVALID_ARGUMENT, (Runnable2) () -> batchCase((s, ram) ->
        rawBatch(s, 0, 0, 0, zeroRecords(ram.endGfn()), 1))));
    a.add(Arguments.of("page in the hole between ROM and RAM", Code.INVALID_ARGUMENT, (Runnable2) () -> batchCase((s, ram) ->
        rawBatch(s, 0, 0, 0, zeroRecords(TargetHarness.rom(vm).endGfn() + 7), 1))));
    a.add(Arguments.of("page at the largest encodable gfn", Code.INVALID_ARGUMENT, (Runnable2) () -> batchCase((s, ram) ->
        rawBatch(s, 0, 0, 0, zeroRecords(PageBatchFormat.GFN_MASK), 1))));
    a.add(Arguments.of("read-only (ROM) page in round 1", Code.INVALID_ARGUMENT, (Runnable2) () -> batchCase((s, ram) ->
        rawBatch(s, 0, 1, 0, zeroRecords(TargetHarness.rom(vm).baseGfn()), 1))));
    a.add(Arguments.of("stream index = streams", Code.INVALID_ARGUMENT, (Runnable2) () -> batchCase((s, ram) ->
        rawBatch(s, TargetHarness.STREAMS, 0, 0, zeroRecords(ram.baseGfn()), 1))));
    a.add(Arguments.of("stream index 2^32-1", Code.INVALID_ARGUMENT, (Runnable2) () -> batchCase((s, ram) ->
        rawBatch(s, -1, 0, 0, zeroRecords(ram.baseGfn()), 1))));
    // --- duplicated, reordered, gaps ---
    a.add(Arguments.of("duplicated batch", Code.ALREADY_EXISTS, (Runnable2) () -> {
      String s = h.begin();
      PageBatch b = validFirstBatch(s);
      return sendBatches(s, List.of(b, b));
    }));
    a.add(Arguments.of("duplicated batch on a second call", Code.ALREADY_EXISTS, (Runnable2) () -> {
      String s = h.begin();
      PageBatch b = validFirstBatch(s);
      assertThat(h.send(List.of(b)).ok()).isTrue();
      return sendOne(s, b);
    }));
    a.add(Arguments.of("sequence gap (1 before 0)", Code.INVALID_ARGUMENT, (Runnable2) () -> {
      String s = h.begin();
      List<PageBatch> st = TargetHarness.round0(vm, s).get(0);
      return sendBatches(s, List.of(st.get(1), st.get(0)));
    }));
    a.add(Arguments.of("round going backwards on a stream", Code.INVALID_ARGUMENT, (Runnable2) () -> {
      String s = h.begin();
      MemorySlotSpec ram = TargetHarness.ram(vm);
      return sendBatches(s, List.of(
          rawBatch(s, 0, 1, 0, zeroRecords(ram.baseGfn()), 1), rawBatch(s, 0, 0, 0, zeroRecords(ram.baseGfn()), 1)));
    }));
    a.add(Arguments.of("second session id on one page stream", Code.INVALID_ARGUMENT, (Runnable2) () -> {
      String s = h.begin();
      MemorySlotSpec ram = TargetHarness.ram(vm);
      return sendBatches(s, List.of(
          rawBatch(s, 0, 0, 0, zeroRecords(ram.baseGfn()), 1), rawBatch("other", 0, 0, 1, zeroRecords(ram.baseGfn()), 1)));
    }));
    // --- commits that must not resume ---
    a.add(Arguments.of("commit: manifest claims a batch that never arrived", Code.DATA_LOSS, (Runnable2) () -> commitCase((c, r0) ->
        c.setManifest(0, c.getManifest(0).toBuilder().setBatchCount(c.getManifest(0).getBatchCount() + 1)))));
    a.add(Arguments.of("commit: manifest omits a stream that was sent", Code.DATA_LOSS, (Runnable2) () -> commitCase((c, r0) ->
        c.removeManifest(1))));
    a.add(Arguments.of("commit: manifest lists a later round that never arrived", Code.DATA_LOSS, (Runnable2) () -> commitCase((c, r0) ->
        c.addManifest(StreamManifest.newBuilder().setStream(0).setRound(1).setBatchCount(1)))));
    a.add(Arguments.of("commit: wrong digest (one bit of the tree root) — answered match=false, not resumed", Code.OK, (Runnable2) () -> commitCase((c, r0) -> {
      byte[] d = c.getSourceDigest().getTreeSha256().toByteArray();
      d[0] ^= 1;
      c.setSourceDigest(c.getSourceDigest().toBuilder().setTreeSha256(ByteString.copyFrom(d)));
    })));
    a.add(Arguments.of("commit: wrong flat-only digest (one bit) — answered match=false, not resumed", Code.OK, (Runnable2) () -> commitCase((c, r0) -> {
      byte[] d = c.getSourceDigest().getSha256().toByteArray();
      d[0] ^= 1;
      c.setSourceDigest(c.getSourceDigest().toBuilder().clearTreeSha256().clearChunkSha256().setSha256(ByteString.copyFrom(d)));
    })));
    a.add(Arguments.of("commit: a tree root without all its chunk digests", Code.INVALID_ARGUMENT, (Runnable2) () -> commitCase((c, r0) ->
        c.setSourceDigest(c.getSourceDigest().toBuilder().clearChunkSha256().addAllChunkSha256(
            c.getSourceDigest().getChunkSha256List().subList(1, c.getSourceDigest().getChunkSha256Count()))))));
    a.add(Arguments.of("commit: right hash, wrong memory size — answered match=false, not resumed", Code.OK, (Runnable2) () -> commitCase((c, r0) ->
        c.setSourceDigest(c.getSourceDigest().toBuilder().setMemoryBytes(c.getSourceDigest().getMemoryBytes() * 2)))));
    a.add(Arguments.of("commit: digest missing", Code.INVALID_ARGUMENT, (Runnable2) () -> commitCase((c, r0) ->
        c.clearSourceDigest())));
    a.add(Arguments.of("commit: a vCPU state missing", Code.INVALID_ARGUMENT, (Runnable2) () -> commitCase((c, r0) ->
        c.removeVcpus(1))));
    a.add(Arguments.of("commit: a vCPU index repeated", Code.INVALID_ARGUMENT, (Runnable2) () -> commitCase((c, r0) ->
        c.setVcpus(1, c.getVcpus(0)))));
    a.add(Arguments.of("commit: a stream's pages never sent, manifest consistent — answered match=false, not resumed", Code.OK, (Runnable2) () -> {
      String s = h.begin();
      List<List<PageBatch>> r0 = TargetHarness.round0(vm, s);
      assertThat(h.send(r0.get(0)).ok()).isTrue();
      List<List<PageBatch>> sent = List.of(r0.get(0), List.of());
      CommitResponse r = h.blocking().commit(h.commitRequest(vm, s, TargetHarness.manifest(sent, 0)).build());
      assertThat(r.getMatch()).isFalse();
      assertThat(r.getResumed()).isFalse();
      assertThat(r.getMismatchedList()).isNotEmpty();
      return new Outcome(Code.OK, s);
    }));
    // --- sessions that do not exist ---
    a.add(Arguments.of("SendPages for an unknown session", Code.NOT_FOUND, (Runnable2) () ->
        sendOne(null, rawBatch("no-such-session", 0, 0, 0, zeroRecords(TargetHarness.ram(vm).baseGfn()), 1))));
    a.add(Arguments.of("Commit for an unknown session", Code.NOT_FOUND, (Runnable2) () ->
        new Outcome(codeOf(() -> h.blocking().commit(CommitRequest.newBuilder().setSessionId("nope").build())), null)));
    a.add(Arguments.of("Heartbeat for an unknown session", Code.NOT_FOUND, (Runnable2) () ->
        new Outcome(codeOf(() -> h.blocking().heartbeat(HeartbeatRequest.newBuilder().setSessionId("nope").build())), null)));
    a.add(Arguments.of("Commit with an empty session id", Code.NOT_FOUND, (Runnable2) () ->
        new Outcome(codeOf(() -> h.blocking().commit(CommitRequest.getDefaultInstance())), null)));
    a.add(Arguments.of("SendPages after Abort", Code.NOT_FOUND, (Runnable2) () -> {
      String s = h.begin();
      assertThat(h.abort(s)).isTrue();
      assertThat(h.abort(s)).as("second abort").isFalse();
      return sendOne(s, validFirstBatch(s));
    }));
    // --- BeginSession with hostile parameters ---
    a.add(Arguments.of("begin: protocol version 1 (headers before pages)", Code.INVALID_ARGUMENT, (Runnable2) () -> beginCase(begin().setProtocolVersion(1).build())));
    a.add(Arguments.of("begin: protocol version 3", Code.INVALID_ARGUMENT, (Runnable2) () -> beginCase(begin().setProtocolVersion(3).build())));
    a.add(Arguments.of("begin: 0 streams", Code.INVALID_ARGUMENT, (Runnable2) () ->
        beginCase(begin().setOptions(begin().getOptions().toBuilder().setStreams(0)).build())));
    a.add(Arguments.of("begin: more streams than allowed", Code.INVALID_ARGUMENT, (Runnable2) () ->
        beginCase(begin().setOptions(begin().getOptions().toBuilder().setStreams(1000)).build())));
    a.add(Arguments.of("begin: batch size below one page", Code.INVALID_ARGUMENT, (Runnable2) () ->
        beginCase(begin().setOptions(begin().getOptions().toBuilder().setMaxBatchBytes(100)).build())));
    a.add(Arguments.of("begin: batch size above the node's limit", Code.INVALID_ARGUMENT, (Runnable2) () ->
        beginCase(begin().setOptions(begin().getOptions().toBuilder().setMaxBatchBytes(-1)).build())));
    a.add(Arguments.of("begin: compression unspecified", Code.INVALID_ARGUMENT, (Runnable2) () ->
        beginCase(begin().setOptions(begin().getOptions().toBuilder().setCompression(Compression.COMPRESSION_UNSPECIFIED)).build())));
    a.add(Arguments.of("begin: test fault injection not enabled", Code.PERMISSION_DENIED, (Runnable2) () ->
        beginCase(h.beginRequest(TargetHarness.ram(vm).baseGfn()).build())));
    a.add(Arguments.of("begin: no layout", Code.INVALID_ARGUMENT, (Runnable2) () -> beginCase(begin().clearLayout().build())));
    a.add(Arguments.of("begin: layout without RAM", Code.INVALID_ARGUMENT, (Runnable2) () ->
        beginCase(begin().setLayout(layout().removeSlots(1)).build())));
    a.add(Arguments.of("begin: overlapping extra slot", Code.INVALID_ARGUMENT, (Runnable2) () ->
        beginCase(begin().setLayout(layout().addSlots(layout().getSlots(1))).build())));
    a.add(Arguments.of("begin: RAM of 2^40 pages (4 PiB, over --max-guest-bytes)", Code.INVALID_ARGUMENT, (Runnable2) () ->
        beginCase(begin().setLayout(layout().setSlots(1, layout().getSlots(1).toBuilder().setPageCount(1L << 40))).build())));
    a.add(Arguments.of("begin: RAM of 2^62 pages", Code.INVALID_ARGUMENT, (Runnable2) () ->
        beginCase(begin().setLayout(layout().setSlots(1, layout().getSlots(1).toBuilder().setPageCount(1L << 62))).build())));
    a.add(Arguments.of("begin: RAM slot moved", Code.INVALID_ARGUMENT, (Runnable2) () ->
        beginCase(begin().setLayout(layout().setSlots(1, layout().getSlots(1).toBuilder().setBaseGfn(5))).build())));
    a.add(Arguments.of("begin: 0 vCPUs", Code.INVALID_ARGUMENT, (Runnable2) () ->
        beginCase(begin().setLayout(layout().setVcpuCount(0)).build())));
    a.add(Arguments.of("begin: 100000 vCPUs", Code.INVALID_ARGUMENT, (Runnable2) () ->
        beginCase(begin().setLayout(layout().setVcpuCount(100_000)).build())));
    a.add(Arguments.of("begin: backing page of 12345 bytes", Code.INVALID_ARGUMENT, (Runnable2) () ->
        beginCase(begin().setLayout(layout().setBackingPageBytes(12345)).build())));
    a.add(Arguments.of("begin: slot with a negative page count", Code.INVALID_ARGUMENT, (Runnable2) () ->
        beginCase(begin().setLayout(layout().setSlots(0, MemorySlot.newBuilder(layout().getSlots(0)).setPageCount(-5))).build())));
    // --- unsigned fields, oversized lists (issue 9 item 4) ---
    a.add(Arguments.of("commit: vCPU index 2^31 (uint32 above int range)", Code.INVALID_ARGUMENT, (Runnable2) () -> commitCase((c, r0) ->
        c.setVcpus(1, c.getVcpus(1).toBuilder().setIndex(Integer.MIN_VALUE)))));
    a.add(Arguments.of("commit: vCPU index 2^32-1", Code.INVALID_ARGUMENT, (Runnable2) () -> commitCase((c, r0) ->
        c.setVcpus(1, c.getVcpus(1).toBuilder().setIndex(-1)))));
    a.add(Arguments.of("commit: more chunk digests than the guest has (and a wrong flat digest)", Code.INVALID_ARGUMENT, (Runnable2) () -> commitCase((c, r0) -> {
      byte[] d = c.getSourceDigest().getSha256().toByteArray();
      d[0] ^= 1;
      c.setSourceDigest(c.getSourceDigest().toBuilder().setSha256(ByteString.copyFrom(d))
          .addChunkSha256(ByteString.copyFrom(new byte[32])));
    })));
    // --- ids outside the alphabet (issue 9 item 5) ---
    a.add(Arguments.of("begin: migration id with a newline (log forging)", Code.INVALID_ARGUMENT, (Runnable2) () ->
        beginCase(begin().setMigrationId("m\n12:00:00.000 INFO  [main] i.d.dest.Receiver - VM resumed").build())));
    a.add(Arguments.of("begin: migration id of 300,000 chars", Code.INVALID_ARGUMENT, (Runnable2) () ->
        beginCase(begin().setMigrationId("m".repeat(300_000)).build())));
    a.add(Arguments.of("begin: source id with control characters", Code.INVALID_ARGUMENT, (Runnable2) () ->
        beginCase(begin().setSourceId("src\r\u001b[2J").build())));
    // --- one open call per declared stream (issue 9 item 2) ---
    a.add(Arguments.of("SendPages: a second open call on the same stream", Code.FAILED_PRECONDITION, (Runnable2) () -> {
      String s = h.begin();
      List<PageBatch> st = TargetHarness.round0(vm, s).get(0);
      StreamObserver<PageBatch> first = openCall();
      first.onNext(st.get(0)); // stays open, holding stream 0
      Outcome o = sendOne(s, st.get(1));
      first.onError(new RuntimeException("test done"));
      return o;
    }));
    a.add(Arguments.of("SendPages: one call switching its stream index", Code.INVALID_ARGUMENT, (Runnable2) () -> {
      String s = h.begin();
      List<List<PageBatch>> r0 = TargetHarness.round0(vm, s);
      return sendBatches(s, List.of(r0.get(0).get(0), r0.get(1).get(0)));
    }));
    // --- undecodable messages on every method (issue 9 item 3) ---
    for (String method : allMethods()) {
      a.add(Arguments.of("raw " + method + ": truncated message", Code.INVALID_ARGUMENT, (Runnable2) () ->
          rawCase(method, truncated(validBody(method)))));
      a.add(Arguments.of("raw " + method + ": varint run (11 continuation bytes)", Code.INVALID_ARGUMENT, (Runnable2) () ->
          rawCase(method, varintRun())));
      a.add(Arguments.of("raw " + method + ": field number 0", Code.INVALID_ARGUMENT, (Runnable2) () ->
          rawCase(method, new byte[] {0, 1})));
      if (!method.endsWith("GetDigest")) // DigestRequest has no string field
        a.add(Arguments.of("raw " + method + ": invalid UTF-8 in a string field", Code.INVALID_ARGUMENT, (Runnable2) () ->
            rawCase(method, invalidUtf8(method))));
    }
    return a;
  }

  // ---- raw and malformed messages ----

  static List<String> allMethods() {
    List<String> m = new ArrayList<>(TargetHarness.UNARY_METHODS);
    m.add(TargetHarness.SEND_PAGES);
    return m;
  }

  /** A well-formed request of the method (for an unknown session), serialized. */
  static byte[] validBody(String method) {
    if (method.endsWith("BeginSession")) return begin().build().toByteArray();
    if (method.endsWith("Commit")) return h.commitRequest(vm, "no-such-session", List.of()).build().toByteArray();
    if (method.endsWith("Abort")) return io.dbmmigrate.proto.v1.AbortRequest.newBuilder().setSessionId("s").setReason("why").build().toByteArray();
    if (method.endsWith("Heartbeat")) return HeartbeatRequest.newBuilder().setSessionId("no-such-session").build().toByteArray();
    if (method.endsWith("GetDigest")) return io.dbmmigrate.proto.v1.DigestRequest.newBuilder().setIncludeChunks(true).setProgressOnly(true).build().toByteArray();
    return rawBatch("no-such-session", 0, 0, 0, zeroRecords(TargetHarness.ram(vm).baseGfn()), 1).toByteArray();
  }

  /** Cut inside the last field (a length-delimited or varint value left incomplete). */
  static byte[] truncated(byte[] body) {
    return java.util.Arrays.copyOf(body, body.length - 1);
  }

  static byte[] varintRun() {
    byte[] b = new byte[12];
    b[0] = 8; // field 1, varint
    java.util.Arrays.fill(b, 1, 12, (byte) 0xff); // more than 10 continuation bytes: malformed varint
    return b;
  }

  /** Field 1 of every request with a string there (session_id), or BeginSession's source_id (2). */
  static byte[] invalidUtf8(String method) {
    int field = method.endsWith("BeginSession") ? 2 : 1;
    return new byte[] {(byte) (field << 3 | 2), 3, (byte) 0xff, (byte) 0xfe, (byte) 0xc0};
  }

  static Outcome rawCase(String method, byte[] body) {
    return new Outcome(h.raw(method, io.grpc.CallOptions.DEFAULT, List.of(body)).getCode(), null);
  }

  /** A SendPages call left open (for the test to end). */
  static StreamObserver<PageBatch> openCall() {
    return io.dbmmigrate.proto.v1.MigrationTargetGrpc.newStub(h.channel()).withDeadlineAfter(30, java.util.concurrent.TimeUnit.SECONDS)
        .sendPages(new StreamObserver<>() {
          @Override
          public void onNext(io.dbmmigrate.proto.v1.StreamSummary value) {}

          @Override
          public void onError(Throwable t) {}

          @Override
          public void onCompleted() {}
        });
  }

  /** A hostile case. */
  @FunctionalInterface
  interface Runnable2 {
    Outcome run();
  }

  @ParameterizedTest(name = "{0} → {1}")
  @MethodSource("cases")
  void hostileInputIsRefusedAndTheNodeStaysHealthy(String name, Code expected, Runnable2 hostile) {
    Outcome o = hostile.run();
    assertThat(o.code()).as(name).isEqualTo(expected);
    // Nothing resumed, nothing left half-received.
    assertThat(h.host.state()).as("host state after: " + name).isEqualTo(VmHost.State.EMPTY);
    assertThat(h.inspect().getHasVm()).isFalse();
    // The session is gone: it can never be committed (so never resumed).
    if (o.session() != null)
      assertThat(codeOf(() -> h.blocking().commit(h.commitRequest(vm, o.session(), List.of()).build())))
          .as("commit of the refused session").isEqualTo(Code.NOT_FOUND);
    // And the node serves the next, correct migration.
    CommitResponse ok = h.migrate(vm);
    assertThat(ok.getMatch()).isTrue();
    assertThat(ok.getResumed()).isTrue();
    assertThat(h.host.state()).isEqualTo(VmHost.State.HOSTING);
    correctMigrations.incrementAndGet();
  }

  // ---- post-copy (issue 13): the new messages' statuses ----

  /** One Postcopy call: sends the messages, half-closes, and returns the call's status code. */
  static Code postcopyCall(io.dbmmigrate.proto.v1.PostcopyUp... messages) throws Exception {
    java.util.concurrent.CompletableFuture<Code> done = new java.util.concurrent.CompletableFuture<>();
    StreamObserver<io.dbmmigrate.proto.v1.PostcopyUp> up =
        io.dbmmigrate.proto.v1.MigrationTargetGrpc.newStub(h.channel())
            .withDeadlineAfter(30, java.util.concurrent.TimeUnit.SECONDS)
            .postcopy(new StreamObserver<>() {
              @Override public void onNext(io.dbmmigrate.proto.v1.PostcopyDown d) {}
              @Override public void onError(Throwable t) { done.complete(io.grpc.Status.fromThrowable(t).getCode()); }
              @Override public void onCompleted() { done.complete(Code.OK); }
            });
    for (io.dbmmigrate.proto.v1.PostcopyUp m : messages) up.onNext(m);
    up.onCompleted();
    return done.get(30, java.util.concurrent.TimeUnit.SECONDS);
  }

  static io.dbmmigrate.proto.v1.PostcopyUp.Builder first(String session) {
    return io.dbmmigrate.proto.v1.PostcopyUp.newBuilder().setSessionId(session)
        .setChannel(io.dbmmigrate.proto.v1.PostcopyChannel.POSTCOPY_CHANNEL_BACKGROUND);
  }

  static io.dbmmigrate.proto.v1.PostcopyPage page(long gfn) {
    byte[] b = new byte[io.dbmmigrate.memory.GuestMemory.PAGE_SIZE];
    vm.memory().readPage(gfn, b, 0);
    return io.dbmmigrate.proto.v1.PostcopyPage.newBuilder().setGfn(gfn).setData(ByteString.copyFrom(b)).build();
  }

  static io.dbmmigrate.proto.v1.StartPostcopyRequest.Builder startPostcopy(String session, long gfn, long pages) {
    return io.dbmmigrate.proto.v1.StartPostcopyRequest.newBuilder().setSessionId(session)
        .addAllVcpus(vm.captureVcpuStates().stream().map(io.dbmmigrate.wire.ProtoConversions::toProto).toList())
        .addMissing(io.dbmmigrate.proto.v1.GpaRange.newBuilder().setStartGpa(gfn << 12).setLengthBytes(pages << 12));
  }

  /** A post-copy session after round 0 (begun with options.postcopy). */
  static String postcopySession() {
    BeginSessionRequest.Builder b = begin();
    String s = h.blocking().beginSession(b.setOptions(b.getOptions().toBuilder().setPostcopy(true)).build()).getSessionId();
    for (List<PageBatch> stream : TargetHarness.round0(vm, s)) assertThat(h.send(stream).ok()).isTrue();
    return s;
  }

  @org.junit.jupiter.api.Test
  void postcopyMessagesGetTheStatusesTheContractNames() throws Exception {
    long base = TargetHarness.ram(vm).baseGfn();
    // Before the switchover: refused, and (a protocol violation) the session ends.
    String plain = h.begin();
    assertThat(codeOf(() -> h.blocking().startPostcopy(startPostcopy(plain, base, 4).build())))
        .as("StartPostcopy on a session not begun for post-copy").isEqualTo(Code.FAILED_PRECONDITION);
    h.blocking().abort(io.dbmmigrate.proto.v1.AbortRequest.newBuilder().setSessionId(plain).build());
    String outside = postcopySession();
    assertThat(codeOf(() -> h.blocking().startPostcopy(startPostcopy(outside, 1L << 40, 4).build())))
        .as("missing range outside the guest").isEqualTo(Code.INVALID_ARGUMENT);
    assertThat(codeOf(() -> h.blocking().startPostcopy(startPostcopy(outside, base, 4).build())))
        .as("the violating session is gone").isEqualTo(Code.NOT_FOUND);
    assertThat(h.host.state()).isEqualTo(VmHost.State.EMPTY);

    // After the switchover: refusals end the call, never the session (the VM runs here now).
    String s = postcopySession();
    assertThat(h.blocking().startPostcopy(startPostcopy(s, base, 4).build()).getMissingPages()).isEqualTo(4);
    assertThat(codeOf(() -> h.blocking().startPostcopy(startPostcopy(s, base, 4).build())))
        .as("a second StartPostcopy").isEqualTo(Code.NOT_FOUND);
    assertThat(postcopyCall(first(s).addPages(page(base).toBuilder().setGfn(1L << 40)).build()))
        .as("a page outside the guest").isEqualTo(Code.INVALID_ARGUMENT);
    assertThat(postcopyCall(first(s).addPages(page(base + 10)).build()))
        .as("an unsolicited page (never missing)").isEqualTo(Code.INVALID_ARGUMENT);
    assertThat(postcopyCall(first(s).addPages(page(base).toBuilder().setData(ByteString.copyFrom(new byte[10]))).build()))
        .as("content not 4096 bytes").isEqualTo(Code.INVALID_ARGUMENT);
    assertThat(postcopyCall(io.dbmmigrate.proto.v1.PostcopyUp.newBuilder().setSessionId(s).build()))
        .as("a first message without channel").isEqualTo(Code.INVALID_ARGUMENT);
    assertThat(codeOf(() -> h.blocking().completePostcopy(
        io.dbmmigrate.proto.v1.CompletePostcopyRequest.newBuilder().setSessionId(s).build())))
        .as("CompletePostcopy while pages are missing").isEqualTo(Code.FAILED_PRECONDITION);
    assertThat(codeOf(() -> h.blocking().commit(h.commitRequest(vm, s, List.of()).build())))
        .as("Commit after StartPostcopy").isEqualTo(Code.NOT_FOUND);
    assertThat(h.blocking().abort(io.dbmmigrate.proto.v1.AbortRequest.newBuilder().setSessionId(s).build()).getAborted())
        .as("Abort after StartPostcopy is refused").isFalse();
    // Duplicates are dropped (a resend after a reconnect), not refused.
    assertThat(postcopyCall(first(s).addPages(page(base)).addPages(page(base)).addPages(page(base + 1)).build()))
        .isEqualTo(Code.OK);
    assertThat(postcopyCall(first(s).addPages(page(base + 2)).addPages(page(base + 3)).addPages(page(base + 3)).build()))
        .isEqualTo(Code.OK);
    io.dbmmigrate.proto.v1.CompletePostcopyResponse done = h.blocking().completePostcopy(
        io.dbmmigrate.proto.v1.CompletePostcopyRequest.newBuilder().setSessionId(s)
            .setSource(receipt(vm)).build());
    assertThat(done.getMatch()).as(done.getDetail()).isTrue();
    assertThat(done.getDuplicatePages()).isEqualTo(2);
    assertThat(done.getPagesReceived()).isEqualTo(4);
    assertThat(h.host.state()).isEqualTo(VmHost.State.HOSTING);
    // After completion: every post-copy call names an unknown session.
    assertThat(postcopyCall(first(s).addPages(page(base)).build())).as("a page after completion").isEqualTo(Code.NOT_FOUND);
    assertThat(codeOf(() -> h.blocking().completePostcopy(
        io.dbmmigrate.proto.v1.CompletePostcopyRequest.newBuilder().setSessionId(s).build())))
        .as("CompletePostcopy twice").isEqualTo(Code.NOT_FOUND);
  }

  static io.dbmmigrate.proto.v1.ReceiptDigest receipt(VirtualMachine v) {
    io.dbmmigrate.proto.v1.ReceiptDigest.Builder b = io.dbmmigrate.proto.v1.ReceiptDigest.newBuilder();
    for (long x : io.dbmmigrate.digest.ReceiptDigest.of(v.memory())) b.addChunkSums(x);
    return b.build();
  }

  // ---- budgets, bombs, leaks, cancellation: cases that need their own node or a look at the log ----

  /** A node of 16 MiB batches and 64 streams, with a given buffer budget and guest capacity. */
  static TargetHarness bigBatchNode(long inflightBytes, GuestCapacity capacity) throws Exception {
    TargetConfig c = new TargetConfig(false, 16 << 20, 64, 60_000, io.dbmmigrate.machine.MachineTuning.defaults())
        .withInflightBytes(inflightBytes);
    return TargetHarness.inProcess(c, capacity);
  }

  static BeginSessionRequest withStreams(TargetHarness node, int streams, int batchBytes) {
    BeginSessionRequest.Builder b = node.beginRequest(0);
    return b.setOptions(b.getOptions().toBuilder().setStreams(streams).setMaxBatchBytes(batchBytes)).build();
  }

  /**
   * The 43 MiB-per-call pattern: 64 streams each holding a 16 MiB batch need about 3.6 GiB of
   * buffers. A node with a 256 MiB budget refuses such a session at BeginSession
   * (RESOURCE_EXHAUSTED), admits one that fits, and never reserves more than its budget while the
   * admitted streams each hold a maximal batch at once.
   */
  @org.junit.jupiter.api.Test
  void manyStreamsOfMaximalBatchesAreRefusedAtBeginAndAdmittedOnesStayInBudget() throws Exception {
    long budget = 256L << 20;
    try (TargetHarness node = bigBatchNode(budget, TargetHarness.PLENTY)) {
      io.grpc.Status refused = TargetHarness.statusOf(() -> node.blocking().beginSession(withStreams(node, 64, 16 << 20)));
      assertThat(refused.getCode()).isEqualTo(Code.RESOURCE_EXHAUSTED);
      assertThat(refused.getDescription()).contains("--max-inflight-bytes");
      // 2 streams x (40 MiB working + 17 MiB message) fit in 256 MiB: admitted.
      String s = node.blocking().beginSession(withStreams(node, 2, 16 << 20)).getSessionId();
      // Both streams open at once, each holding a maximal (16 MiB) batch; a third call is refused.
      int perBatch = (16 << 20) / PageBatchFormat.FULL_RECORD_BYTES;
      List<StreamObserver<PageBatch>> open = new ArrayList<>();
      for (int st = 0; st < 2; st++) {
        ByteBuffer b = ByteBuffer.allocate(perBatch * PageBatchFormat.FULL_RECORD_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < perBatch; i++) {
          b.putLong(TargetHarness.ram(vm).baseGfn() + i % TargetHarness.ram(vm).pageCount());
          b.position(b.position() + 4096);
        }
        StreamObserver<PageBatch> call = io.dbmmigrate.proto.v1.MigrationTargetGrpc.newStub(node.channel())
            .sendPages(new StreamObserver<>() {
              @Override public void onNext(io.dbmmigrate.proto.v1.StreamSummary v) {}
              @Override public void onError(Throwable t) {}
              @Override public void onCompleted() {}
            });
        call.onNext(rawBatch(s, st, 0, 0, b.array(), perBatch));
        open.add(call);
      }
      assertThat(node.receiver.budget().reservedBytes()).as("two open streams hold their working memory").isPositive();
      assertThat(node.send(List.of(rawBatch(s, 1, 0, 1, zeroRecords(TargetHarness.ram(vm).baseGfn()), 1))).code())
          .as("a third call, on a stream already open").isEqualTo(Code.FAILED_PRECONDITION);
      for (StreamObserver<PageBatch> c : open) c.onError(new RuntimeException("done"));
      assertThat(node.receiver.budget().peakBytes()).isLessThanOrEqualTo(budget);
      assertThat(node.receiver.budget().reservedBytes()).as("everything released").isZero();
    }
  }

  /** A guest larger than the node can hold is refused before allocation. */
  @org.junit.jupiter.api.Test
  void aGuestLargerThanTheNodeCanHoldIsRefusedWithResourceExhausted() throws Exception {
    // A node whose heap leaves 1 MiB for guest metadata after its inbound budget: it holds 256 MiB.
    GuestCapacity capacity = GuestCapacity.mappedGuest(Runtime.getRuntime().maxMemory() - (64L << 20) - (1L << 20));
    assertThat(capacity.guestBytesAvailable()).isEqualTo(256L << 20);
    try (TargetHarness node = bigBatchNode(64L << 20, capacity)) {
      VmLayout.Builder l = node.beginRequest(0).getLayout().toBuilder();
      l.setSlots(1, l.getSlots(1).toBuilder().setPageCount(2 * capacity.guestBytesAvailable() / 4096));
      BeginSessionRequest req = node.beginRequest(0).setLayout(l).build();
      assertThat(codeOf(() -> node.blocking().beginSession(req))).isEqualTo(Code.RESOURCE_EXHAUSTED);
      assertThat(node.host.state()).isEqualTo(VmHost.State.EMPTY);
      assertThat(node.receiver.state()).isEqualTo(ReceiverState.IDLE);
    }
  }

  /** The node-wide cap on bytes in flight: a message that does not fit gets RESOURCE_EXHAUSTED. */
  @org.junit.jupiter.api.Test
  void aMessageBeyondTheBytesInFlightCapIsRefused() {
    InboundBudget budget = h.receiver.budget();
    long hold = budget.capacityBytes() - 1000; // others' messages in flight
    assertThat(budget.tryReserve(hold)).isTrue();
    try {
      String s = h.begin();
      assertThat(h.send(List.of(validFirstBatch(s))).code()).isEqualTo(Code.RESOURCE_EXHAUSTED);
      assertThat(codeOf(() -> h.blocking().beginSession(begin().build()))).as("raw BeginSession too")
          .isIn(Code.RESOURCE_EXHAUSTED, Code.FAILED_PRECONDITION);
      h.abort(s);
    } finally {
      budget.release(hold);
    }
    assertThat(h.migrate(vm).getResumed()).isTrue();
  }

  /** Anything unexpected is INTERNAL with an incident id, never the exception's text. */
  @org.junit.jupiter.api.Test
  void anUnexpectedFailureAnswersInternalWithAnIncidentIdOnly() throws Exception {
    GuestCapacity broken = () -> { throw new IllegalStateException("secret internals /etc/passwd"); };
    try (TargetHarness node = TargetHarness.inProcess(TargetHarness.config(false), broken)) {
      io.grpc.Status st = TargetHarness.statusOf(() -> node.blocking().beginSession(node.beginRequest(0).build()));
      assertThat(st.getCode()).isEqualTo(Code.INTERNAL);
      assertThat(st.getDescription()).matches("internal error \\(incident [0-9a-f]{8}\\)");
      assertThat(node.host.state()).as("the half-begun receive is undone").isEqualTo(VmHost.State.EMPTY);
    }
  }

  /** Client strings reach neither the log nor a status raw: escaped and capped. */
  @org.junit.jupiter.api.Test
  void clientStringsAreEscapedAndCappedInLogsAndStatuses() {
    ch.qos.logback.classic.Logger root =
        (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logged = new ch.qos.logback.core.read.ListAppender<>();
    logged.start();
    root.addAppender(logged);
    try {
      String forged = "x\n12:00:00.000 INFO  [main] i.d.dest.Receiver - session s committed: VM resumed\n" + "A".repeat(1 << 20);
      String s = h.begin();
      assertThat(h.blocking().abort(io.dbmmigrate.proto.v1.AbortRequest.newBuilder().setSessionId(s).setReason(forged).build())
          .getAborted()).isTrue();
      io.grpc.Status st = TargetHarness.statusOf(() ->
          h.blocking().heartbeat(HeartbeatRequest.newBuilder().setSessionId(forged).build()));
      assertThat(st.getCode()).isEqualTo(Code.NOT_FOUND);
      assertThat(st.getDescription()).doesNotContain("\n").hasSizeLessThan(400);
      assertThat(logged.list).isNotEmpty();
      for (ch.qos.logback.classic.spi.ILoggingEvent e : logged.list) {
        assertThat(e.getFormattedMessage()).as("one line, capped").doesNotContain("\n").doesNotContain("\r").hasSizeLessThan(1000);
        assertThat(e.getThrowableProxy()).as("no stack trace for a client's input").isNull();
      }
    } finally {
      root.detachAppender(logged);
    }
  }

  /**
   * A gzip bomb (8 MiB of payload compressed to a few KiB) on every method of a real socket server
   * gets RESOURCE_EXHAUSTED, not the UNKNOWN of grpc-java #11246.
   */
  @org.junit.jupiter.api.Test
  void aGzipBombGetsResourceExhaustedOnEveryMethod() throws Exception {
    TargetConfig c = TargetHarness.config(false);
    try (TargetHarness node = TargetHarness.overSocket(c,
        io.dbmmigrate.wire.GrpcServers.Settings.plaintext("127.0.0.1", 0, c.maxInboundMessageBytes()))) {
      node.useChannel(io.grpc.Grpc.newChannelBuilderForAddress("127.0.0.1", node.port(),
          io.grpc.InsecureChannelCredentials.create()).build());
      int size = 8 << 20;
      ByteBuffer bomb = ByteBuffer.allocate(size + 8);
      bomb.put((byte) (15 << 3 | 2)); // unknown field 15, length-delimited: the parser reads it all
      int v = size;
      while ((v & ~0x7f) != 0) { bomb.put((byte) ((v & 0x7f) | 0x80)); v >>>= 7; }
      bomb.put((byte) v);
      byte[] body = java.util.Arrays.copyOf(bomb.array(), bomb.position() + size);
      for (String method : allMethods()) {
        io.grpc.Status st = node.raw(method, io.grpc.CallOptions.DEFAULT.withCompression("gzip"), List.of(body));
        assertThat(st.getCode()).as(method).isEqualTo(Code.RESOURCE_EXHAUSTED);
      }
      assertThat(node.migrate(vm).getResumed()).as("the node still serves").isTrue();
    }
  }

  /**
   * Verification is bounded: a Commit whose caller gives up stops hashing, and the node takes the
   * next session at once; a Commit beyond the node's hashing limit is refused (DEADLINE_EXCEEDED).
   * The 16 GiB guest takes well over 8 s to hash here (0.5+ s/GiB), so a commit that kept hashing
   * would still hold the node when the bounded wait below ends.
   */
  @org.junit.jupiter.api.Test
  void aCancelledCommitStopsHashingAndTheNodeIsFreeAgain() throws Exception {
    TargetConfig c = TargetHarness.config(false);
    try (TargetHarness node = TargetHarness.overSocket(c,
        io.dbmmigrate.wire.GrpcServers.Settings.plaintext("127.0.0.1", 0, c.maxInboundMessageBytes()))) {
      node.useChannel(io.grpc.Grpc.newChannelBuilderForAddress("127.0.0.1", node.port(),
          io.grpc.InsecureChannelCredentials.create()).build());
      VmLayout.Builder l = node.beginRequest(0).getLayout().toBuilder();
      l.setSlots(1, l.getSlots(1).toBuilder().setPageCount((16L << 30) / 4096));
      String s = node.blocking().beginSession(node.beginRequest(0).setLayout(l).build()).getSessionId();
      // A flat-only digest (an older source): the destination then hashes all 16 GiB sequentially,
      // zeros included (the tree of a never-written guest would cost no hashing at all).
      CommitRequest commit = flatOnly(node.commitRequest(vm, s, List.of())).build();
      long t0 = System.nanoTime();
      io.grpc.Status st = TargetHarness.statusOf(() ->
          io.dbmmigrate.proto.v1.MigrationTargetGrpc.newBlockingStub(node.channel())
              .withDeadlineAfter(300, java.util.concurrent.TimeUnit.MILLISECONDS).commit(commit));
      assertThat(st.getCode()).isEqualTo(Code.DEADLINE_EXCEEDED);
      // Free again: the next session begins (bounded wait, 5 s; a full hash takes far longer).
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).pollInterval(java.time.Duration.ofMillis(20))
          .until(() -> node.receiver.state() == ReceiverState.IDLE);
      System.out.println("HostileInputTest: node free " + (System.nanoTime() - t0) / 1_000_000 + " ms after a 300 ms commit deadline");
      assertThat(node.migrate(vm).getResumed()).isTrue();
    }
  }

  @org.junit.jupiter.api.Test
  void aCommitBeyondTheHashingLimitIsRefusedAndDiscarded() throws Exception {
    try (TargetHarness node = TargetHarness.inProcess(TargetHarness.config(false).withVerifyMillis(1))) {
      VmLayout.Builder l = node.beginRequest(0).getLayout().toBuilder();
      l.setSlots(1, l.getSlots(1).toBuilder().setPageCount((4L << 30) / 4096));
      String s = node.blocking().beginSession(node.beginRequest(0).setLayout(l).build()).getSessionId();
      io.grpc.Status st = TargetHarness.statusOf(() -> node.blocking().commit(flatOnly(node.commitRequest(vm, s, List.of())).build()));
      assertThat(st.getCode()).isEqualTo(Code.DEADLINE_EXCEEDED);
      assertThat(st.getDescription()).contains("--max-verify-millis");
      assertThat(node.receiver.state()).isEqualTo(ReceiverState.IDLE);
      assertThat(node.host.state()).isEqualTo(VmHost.State.EMPTY);
    }
  }

  private static CommitRequest.Builder flatOnly(CommitRequest.Builder c) {
    return c.setSourceDigest(c.getSourceDigest().toBuilder().clearTreeSha256().clearChunkSha256());
  }
}
