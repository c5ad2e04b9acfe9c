package io.dbmmigrate.dest;

import static io.dbmmigrate.dest.TargetHarness.codeOf;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.memory.MemorySlotSpec;
import io.dbmmigrate.machine.VirtualMachine;
import io.dbmmigrate.machine.VmHost;
import io.dbmmigrate.proto.v1.CommitRequest;
import io.dbmmigrate.proto.v1.CommitResponse;
import io.dbmmigrate.proto.v1.DigestResponse;
import io.dbmmigrate.proto.v1.PageBatch;
import io.dbmmigrate.proto.v1.StreamManifest;
import io.grpc.Status.Code;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Property: for any sequence of pre-copy rounds in which at most one step is hostile (a corrupt,
 * out-of-range, duplicated, reordered or misplaced batch, a dropped batch, an abort, a bogus
 * manifest or digest, stray messages for unknown sessions), the destination resumes the VM if and
 * only if the whole sequence was correct, and then holds exactly the source's memory; every
 * hostile step gets the status the contract names; and the node is ready for the next migration.
 *
 * <p>Seeded random generation (no property-testing library): each run prints its seed. CI runs a
 * fixed set of seeds; reproduce or explore with {@code -Ddbm.hostile.seeds=123,456} or {@code
 * -Ddbm.hostile.runs=500} (random seeds).
 *
 * <p>Second property ({@link #mutatedBytesGetOnlyContractStatuses}): serialized requests of every
 * method (post-copy's too, the bidi Postcopy stream among them), mutated (bit flips, truncation, varint runs, random bytes, spliced and duplicated
 * segments), get a status the contract names, never UNKNOWN or INTERNAL, with a short one-line
 * description; nothing resumes; and the node then serves a correct migration. CI sends {@value
 * #CI_MUTATIONS} mutated requests; {@code -Ddbm.hostile.mutations=10000} sends that many (opt-in),
 * in runs of {@value #MUTATIONS_PER_SEED} per seed ({@code -Ddbm.hostile.mutation.seed=S} picks the
 * first seed).
 */
class HostileSequencePropertyTest {
  static TargetHarness h;
  static int runs;
  static int resumed;
  static int[] faultCounts = new int[Fault.values().length];
  static final int CI_MUTATIONS = 300;
  static final int MUTATIONS_PER_SEED = 100;
  static TargetHarness m;
  static VirtualMachine mvm;
  static long mutated;
  static final java.util.Map<Code, Integer> mutationCodes = new java.util.EnumMap<>(Code.class);
  /** The statuses target.proto names. */
  static final java.util.Set<Code> CONTRACT = java.util.EnumSet.of(
      Code.OK, Code.INVALID_ARGUMENT, Code.NOT_FOUND, Code.FAILED_PRECONDITION, Code.ALREADY_EXISTS,
      Code.DATA_LOSS, Code.ABORTED, Code.PERMISSION_DENIED, Code.RESOURCE_EXHAUSTED);

  /** The one hostile thing a run does (NONE: a correct migration). */
  enum Fault {
    NONE(Code.OK, true),
    CRC_FLIP(Code.INVALID_ARGUMENT, false),
    BAD_PAGE_COUNT(Code.INVALID_ARGUMENT, false),
    GFN_OUT_OF_RANGE(Code.INVALID_ARGUMENT, false),
    ROM_IN_LATER_ROUND(Code.INVALID_ARGUMENT, false),
    DUPLICATE(Code.ALREADY_EXISTS, false),
    GAP(Code.INVALID_ARGUMENT, false),
    SWAP_ADJACENT(Code.INVALID_ARGUMENT, false),
    ROUND_BACKWARDS(Code.INVALID_ARGUMENT, false),
    STREAM_OUT_OF_RANGE(Code.INVALID_ARGUMENT, false),
    RAW_BYTES_OVERSIZED(Code.INVALID_ARGUMENT, false),
    STRAY_UNKNOWN_SESSION(Code.NOT_FOUND, true), // refused, but must not harm the real session
    DROP_BATCH(Code.DATA_LOSS, false), // not noticed until the commit
    ABORT(Code.NOT_FOUND, false), // the commit after an abort finds no session
    MANIFEST_OVERCOUNT(Code.DATA_LOSS, false),
    MANIFEST_EXTRA_ROUND(Code.DATA_LOSS, false),
    WRONG_DIGEST(Code.OK, false), // commit answers match=false
    STALE_PAGE(Code.OK, false); // a page's last version never sent: digests differ

    final Code expected;
    final boolean sessionSurvives;

    Fault(Code expected, boolean sessionSurvives) {
      this.expected = expected;
      this.sessionSurvives = sessionSurvives;
    }
  }

  static Stream<Long> seeds() {
    String explicit = System.getProperty("dbm.hostile.seeds");
    if (explicit != null && !explicit.isBlank())
      return Arrays.stream(explicit.split(",")).map(String::trim).map(Long::parseLong);
    String n = System.getProperty("dbm.hostile.runs");
    if (n != null) {
      Random r = new Random();
      return LongStream.range(0, Long.parseLong(n)).map(i -> r.nextLong()).boxed();
    }
    return LongStream.rangeClosed(1, 40).map(i -> i * 7919).boxed(); // CI: 40 fixed seeds
  }

  @BeforeAll
  static void start() throws Exception {
    h = TargetHarness.inProcess(TargetHarness.config(false));
    // Mutated layouts may ask for any guest: this node holds at most 256 MiB of guest memory.
    m = TargetHarness.inProcess(TargetHarness.config(false), GuestCapacity.fixed(256L << 20));
    mvm = TargetHarness.sourceVm(77, 100);
  }

  @AfterAll
  static void stop() {
    StringBuilder sb = new StringBuilder("HostileSequencePropertyTest: " + runs + " runs, " + resumed + " resumed; faults:");
    for (Fault f : Fault.values()) sb.append(' ').append(f).append('=').append(faultCounts[f.ordinal()]);
    System.out.println(sb);
    System.out.println("HostileSequencePropertyTest: " + mutated + " mutated requests on " + METHODS.size() + " methods; statuses " + mutationCodes);
    if (h != null) h.close();
    if (m != null) m.close();
    if (mvm != null) mvm.close();
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void resumesIfAndOnlyIfEverythingArrivedCorrectly(long seed) {
    System.out.println("HostileSequencePropertyTest seed=" + seed);
    Random rnd = new Random(seed);
    // The fault kind follows from the seed, so the CI seeds (multiples of 7919) cover every kind.
    Fault fault = Fault.values()[(int) Math.floorMod(seed, (long) Fault.values().length)];
    int rounds = 2 + rnd.nextInt(3);
    if (fault == Fault.ROM_IN_LATER_ROUND || fault == Fault.ROUND_BACKWARDS || fault == Fault.STALE_PAGE)
      rounds = Math.max(rounds, 2);
    int faultRound = fault == Fault.ROM_IN_LATER_ROUND || fault == Fault.ROUND_BACKWARDS || fault == Fault.STALE_PAGE
        ? 1 + rnd.nextInt(rounds - 1) : rnd.nextInt(rounds);
    int faultStream = rnd.nextInt(TargetHarness.STREAMS);
    runs++;

    h.host.close();
    try (VirtualMachine vm = TargetHarness.sourceVm(seed, 50 + rnd.nextInt(200))) {
      MemorySlotSpec ram = TargetHarness.ram(vm);
      String s = h.begin();
      List<StreamManifest> manifest = new ArrayList<>();
      boolean alive = true; // the model's view of the session
      boolean applied = fault == Fault.NONE || fault == Fault.MANIFEST_OVERCOUNT
          || fault == Fault.MANIFEST_EXTRA_ROUND || fault == Fault.WRONG_DIGEST;
      byte[] page = new byte[GuestMemory.PAGE_SIZE];
      long stalePage = -1;

      for (int r = 0; r < rounds && alive; r++) {
        // Pages of this round: everything in round 0, a random dirty set later (the guest wrote them).
        TreeSet<Long> dirty = new TreeSet<>();
        if (r == 0) {
          for (MemorySlotSpec slot : vm.memory().slots())
            for (long g = slot.baseGfn(); g < slot.endGfn(); g++) dirty.add(g);
        } else {
          int n = 1 + rnd.nextInt(300);
          for (int i = 0; i < n; i++) {
            long g = ram.baseGfn() + rnd.nextInt((int) ram.pageCount());
            rnd.nextBytes(page);
            vm.memory().writePage(g, page, 0);
            dirty.add(g);
          }
        }
        if (fault == Fault.STALE_PAGE && r == faultRound) stalePage = dirty.first(); // written, then "forgotten"
        if (stalePage >= 0) dirty.remove(stalePage);
        for (int st = 0; st < TargetHarness.STREAMS && alive; st++) {
          final int stream = st;
          long[] gfns = dirty.stream().mapToLong(Long::longValue)
              .filter(g -> TargetHarness.streamOf(g) == stream).toArray();
          if (stalePage >= 0) { // never sent again: its newest version is lost
            final long stale = stalePage;
            gfns = Arrays.stream(gfns).filter(g -> g != stale).toArray();
            applied = true;
          }
          List<PageBatch> batches = TargetHarness.batches(vm, s, stream, r, gfns, rnd.nextBoolean());
          boolean here = r == faultRound && stream == faultStream;
          if (here && fault == Fault.STRAY_UNKNOWN_SESSION) {
            PageBatch stray = HostileInputTest.rawBatch(
                "stray-" + rnd.nextInt(), stream, r, 0, HostileInputTest.zeroRecords(ram.baseGfn()), 1);
            assertThat(h.send(List.of(stray)).code()).as("stray batch, seed " + seed).isEqualTo(Code.NOT_FOUND);
            assertThat(codeOf(() -> h.blocking().commit(CommitRequest.newBuilder().setSessionId("stray").build())))
                .isEqualTo(Code.NOT_FOUND);
            applied = true;
          }
          if (here && fault == Fault.ABORT) {
            assertThat(h.abort(s)).isTrue();
            alive = false;
            applied = true;
            break;
          }
          if (batches.isEmpty()) continue;
          List<PageBatch> toSend = new ArrayList<>(batches);
          Code expected = Code.OK;
          if (here && fault != Fault.STRAY_UNKNOWN_SESSION && fault != Fault.ABORT) {
            int sentInPreviousRound = 0; // so that a round-backwards batch is in sequence for its round
            for (StreamManifest e : manifest)
              if (e.getStream() == stream && e.getRound() == r - 1) sentInPreviousRound = e.getBatchCount();
            expected = mutate(fault, toSend, rnd, vm, s, stream, r, sentInPreviousRound);
            if (expected == null) expected = Code.OK; // not applicable to this batch list: stays correct
            else applied = true;
          }
          int manifestCount = batches.size();
          // Send in one or two calls (a later call continues the sequence).
          int split = toSend.size() > 1 && rnd.nextBoolean() ? 1 + rnd.nextInt(toSend.size() - 1) : toSend.size();
          Code got = h.send(toSend.subList(0, split)).code();
          if (got == Code.OK && split < toSend.size()) got = h.send(toSend.subList(split, toSend.size())).code();
          assertThat(got).as("seed " + seed + " fault " + fault + " round " + r + " stream " + stream).isEqualTo(expected);
          if (got != Code.OK) alive = false;
          manifest.add(StreamManifest.newBuilder().setStream(stream).setRound(r).setBatchCount(manifestCount).build());
        }
      }

      if (fault == Fault.MANIFEST_OVERCOUNT) {
        int i = rnd.nextInt(manifest.size());
        manifest.set(i, manifest.get(i).toBuilder().setBatchCount(manifest.get(i).getBatchCount() + 1).build());
      } else if (fault == Fault.MANIFEST_EXTRA_ROUND) {
        manifest.add(StreamManifest.newBuilder().setStream(0).setRound(rounds).setBatchCount(1).build());
      }
      CommitRequest.Builder c = h.commitRequest(vm, s, manifest);
      if (fault == Fault.WRONG_DIGEST) {
        // The destination compares the tree root when the source sends one, else the flat SHA-256.
        boolean tree = !c.getSourceDigest().getTreeSha256().isEmpty();
        byte[] d = (tree ? c.getSourceDigest().getTreeSha256() : c.getSourceDigest().getSha256()).toByteArray();
        d[rnd.nextInt(32)] ^= (byte) (1 << rnd.nextInt(8));
        c.setSourceDigest(
            tree
                ? c.getSourceDigest().toBuilder().setTreeSha256(ByteString.copyFrom(d))
                : c.getSourceDigest().toBuilder().setSha256(ByteString.copyFrom(d)));
      }
      CommitResponse[] resp = new CommitResponse[1];
      Code commitCode = codeOf(() -> resp[0] = h.blocking().commit(c.build()));

      Fault effective = applied ? fault : Fault.NONE;
      if (!applied) System.out.println("  fault " + fault + " found nothing to act on; run is correct");
      faultCounts[effective.ordinal()]++;
      boolean shouldResume = effective.sessionSurvives;
      if (!alive) assertThat(commitCode).as("commit after a refused step, seed " + seed).isEqualTo(Code.NOT_FOUND);
      else if (effective == Fault.DROP_BATCH || effective == Fault.MANIFEST_OVERCOUNT || effective == Fault.MANIFEST_EXTRA_ROUND)
        assertThat(commitCode).as("seed " + seed).isEqualTo(Code.DATA_LOSS);
      else assertThat(commitCode).as("seed " + seed).isEqualTo(Code.OK);
      boolean didResume = commitCode == Code.OK && resp[0].getResumed();
      assertThat(didResume).as("resumed, seed " + seed + " fault " + fault).isEqualTo(shouldResume);
      if (commitCode == Code.OK) assertThat(resp[0].getMatch()).isEqualTo(shouldResume);

      if (didResume) {
        resumed++;
        assertThat(h.host.state()).isEqualTo(VmHost.State.HOSTING);
        DigestResponse d = h.inspect();
        assertThat(d.getHasVm()).isTrue();
        assertThat(d.getDigest().getTreeSha256()).isNotEmpty().isEqualTo(TargetHarness.digest(vm).getTreeSha256());
      } else {
        assertThat(h.host.state()).as("nothing hosted after fault " + fault + ", seed " + seed).isEqualTo(VmHost.State.EMPTY);
        assertThat(h.inspect().getHasVm()).isFalse();
        // The node is healthy: the same VM now migrates correctly.
        CommitResponse ok = h.migrate(vm);
        assertThat(ok.getMatch()).isTrue();
        assertThat(ok.getResumed()).isTrue();
      }
    }
  }

  static Stream<Long> mutationSeeds() {
    long total = Long.getLong("dbm.hostile.mutations", CI_MUTATIONS);
    long first = Long.getLong("dbm.hostile.mutation.seed", 1);
    return LongStream.range(0, (total + MUTATIONS_PER_SEED - 1) / MUTATIONS_PER_SEED).map(i -> first + i * 104729).boxed();
  }

  static final List<String> METHODS = new ArrayList<>(TargetHarness.UNARY_METHODS);

  static {
    METHODS.add(TargetHarness.SEND_PAGES);
    // Post-copy's calls (issue 13): the unary ones and the bidi Postcopy stream (its message
    // sequences: HostilePostcopySequencePropertyTest).
    METHODS.add("dbm.migrate.v1.MigrationTarget/StartPostcopy");
    METHODS.add("dbm.migrate.v1.MigrationTarget/CompletePostcopy");
    METHODS.add(TargetHarness.POSTCOPY);
  }

  @ParameterizedTest(name = "mutation seed {0}")
  @MethodSource("mutationSeeds")
  void mutatedBytesGetOnlyContractStatuses(long seed) {
    System.out.println("HostileSequencePropertyTest mutation seed=" + seed);
    Random rnd = new Random(seed);
    m.host.close();
    String session = m.begin();
    for (int n = 0; n < MUTATIONS_PER_SEED; n++) {
      String method = METHODS.get(rnd.nextInt(METHODS.size()));
      List<byte[]> messages = new ArrayList<>();
      for (byte[] b : validMessages(method, session, rnd)) messages.add(b);
      int victim = rnd.nextInt(messages.size());
      messages.set(victim, mutate(messages.get(victim), rnd));
      TargetHarness.RawResult r = m.rawCall(method, io.grpc.CallOptions.DEFAULT, messages);
      mutated++;
      Code code = r.status().getCode();
      mutationCodes.merge(code, 1, Integer::sum);
      String where = "seed " + seed + " request " + n + " on " + method;
      assertThat(code).as(where + ": " + r.status()).isIn(CONTRACT);
      String d = r.status().getDescription();
      if (d != null) {
        assertThat(d).as(where).hasSizeLessThan(600);
        assertThat(d.chars().noneMatch(ch -> ch < 0x20 || ch == 0x7f)).as(where + ": control characters in " + d).isTrue();
      }
      if (code == Code.OK && method.endsWith("BeginSession")) {
        try {
          session = io.dbmmigrate.proto.v1.BeginSessionResponse.parseFrom(r.response()).getSessionId();
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
          throw new AssertionError(e);
        }
      }
      assertThat(m.host.state()).as(where + ": nothing resumed").isNotEqualTo(VmHost.State.HOSTING);
    }
    m.abort(session);
    assertThat(m.receiver.budget().reservedBytes()).as("every reservation released").isZero();
    CommitResponse ok = m.migrate(mvm);
    assertThat(ok.getResumed()).as("the node serves a correct migration afterwards").isTrue();
  }

  /** Well-formed messages of one call of the method (SendPages: one to three batches). */
  private static List<byte[]> validMessages(String method, String session, Random rnd) {
    if (method.endsWith("BeginSession")) return List.of(m.beginRequest(0).build().toByteArray());
    if (method.endsWith("Commit")) {
      CommitRequest.Builder c = m.commitRequest(mvm, rnd.nextBoolean() ? session : "other", List.of());
      byte[] d = new byte[32];
      rnd.nextBytes(d); // never the real digest: a mutated commit must not resume
      return List.of(c.setSourceDigest(c.getSourceDigest().toBuilder().setSha256(ByteString.copyFrom(d))).build().toByteArray());
    }
    if (method.endsWith("Abort"))
      return List.of(io.dbmmigrate.proto.v1.AbortRequest.newBuilder().setSessionId(session).setReason("mutated").build().toByteArray());
    if (method.endsWith("Heartbeat"))
      return List.of(io.dbmmigrate.proto.v1.HeartbeatRequest.newBuilder().setSessionId(session).build().toByteArray());
    if (method.endsWith("StartPostcopy"))
      return List.of(
          io.dbmmigrate.proto.v1.StartPostcopyRequest.newBuilder().setSessionId(session)
              .addAllVcpus(mvm.captureVcpuStates().stream().map(io.dbmmigrate.wire.ProtoConversions::toProto).toList())
              .addMissing(io.dbmmigrate.proto.v1.GpaRange.newBuilder()
                  .setStartGpa(TargetHarness.ram(mvm).baseGfn() << 12).setLengthBytes(1 << 12))
              .build().toByteArray());
    if (method.endsWith("CompletePostcopy"))
      return List.of(io.dbmmigrate.proto.v1.CompletePostcopyRequest.newBuilder().setSessionId(session).build().toByteArray());
    if (method.equals(TargetHarness.POSTCOPY)) { // a first message, then 0-2 messages of pages
      List<byte[]> out = new ArrayList<>();
      out.add(io.dbmmigrate.proto.v1.PostcopyUp.newBuilder().setSessionId(session)
          .setChannel(rnd.nextBoolean()
              ? io.dbmmigrate.proto.v1.PostcopyChannel.POSTCOPY_CHANNEL_URGENT
              : io.dbmmigrate.proto.v1.PostcopyChannel.POSTCOPY_CHANNEL_BACKGROUND)
          .build().toByteArray());
      long base = TargetHarness.ram(mvm).baseGfn();
      byte[] data = new byte[GuestMemory.PAGE_SIZE];
      for (int i = rnd.nextInt(3); i > 0; i--) {
        long g = base + rnd.nextInt(64);
        io.dbmmigrate.proto.v1.PostcopyPage.Builder p = io.dbmmigrate.proto.v1.PostcopyPage.newBuilder().setGfn(g);
        if (mvm.memory().readPage(g, data, 0)) p.setData(ByteString.copyFrom(data));
        out.add(io.dbmmigrate.proto.v1.PostcopyUp.newBuilder().addPages(p).build().toByteArray());
      }
      return out;
    }
    if (method.endsWith("GetDigest"))
      return List.of(io.dbmmigrate.proto.v1.DigestRequest.newBuilder().setProgressOnly(true).build().toByteArray());
    List<PageBatch> stream = TargetHarness.round0(mvm, session).get(rnd.nextInt(TargetHarness.STREAMS));
    int n = 1 + rnd.nextInt(Math.min(3, stream.size()));
    List<byte[]> out = new ArrayList<>();
    for (int i = 0; i < n; i++) out.add(stream.get(i).toByteArray());
    return out;
  }

  /** One mutation of serialized bytes. */
  static byte[] mutate(byte[] in, Random rnd) {
    byte[] b = in.clone();
    switch (rnd.nextInt(6)) {
      case 0 -> { // bit flips
        int flips = 1 + rnd.nextInt(8);
        for (int i = 0; i < flips && b.length > 0; i++) b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(8));
        return b;
      }
      case 1 -> { // truncation
        return Arrays.copyOf(b, b.length == 0 ? 0 : rnd.nextInt(b.length));
      }
      case 2 -> { // a run of varint continuation bytes at a random place
        int at = b.length == 0 ? 0 : rnd.nextInt(b.length);
        byte[] run = new byte[1 + rnd.nextInt(16)];
        Arrays.fill(run, (byte) (0x80 | rnd.nextInt(0x80)));
        return splice(b, at, at, run);
      }
      case 3 -> { // random bytes
        byte[] r = new byte[rnd.nextInt(65)];
        rnd.nextBytes(r);
        return r;
      }
      case 4 -> { // a random segment overwritten by random bytes
        if (b.length == 0) return b;
        int at = rnd.nextInt(b.length);
        int len = Math.min(b.length - at, 1 + rnd.nextInt(16));
        byte[] r = new byte[len];
        rnd.nextBytes(r);
        System.arraycopy(r, 0, b, at, len);
        return b;
      }
      default -> { // a segment duplicated (repeated or overlapping fields)
        if (b.length == 0) return b;
        int at = rnd.nextInt(b.length);
        int len = Math.min(b.length - at, 1 + rnd.nextInt(64));
        return splice(b, at, at, Arrays.copyOfRange(b, at, at + len));
      }
    }
  }

  private static byte[] splice(byte[] b, int from, int to, byte[] insert) {
    byte[] out = new byte[b.length - (to - from) + insert.length];
    System.arraycopy(b, 0, out, 0, from);
    System.arraycopy(insert, 0, out, from, insert.length);
    System.arraycopy(b, to, out, from + insert.length, b.length - to);
    return out;
  }

  /** Applies the fault to the batches of one (stream, round); returns the expected status or null. */
  private static Code mutate(
      Fault f, List<PageBatch> b, Random rnd, VirtualMachine vm, String s, int stream, int round, int sentInPreviousRound) {
    int i = rnd.nextInt(b.size());
    PageBatch x = b.get(i);
    switch (f) {
      case CRC_FLIP -> {
        byte[] p = x.getPayload().toByteArray();
        p[rnd.nextInt(p.length)] ^= (byte) (1 << rnd.nextInt(8));
        b.set(i, x.toBuilder().setPayload(ByteString.copyFrom(p)).build());
      }
      case BAD_PAGE_COUNT -> b.set(i, x.toBuilder().setPageCount(x.getPageCount() + (rnd.nextBoolean() ? 1 : -1)).build());
      case GFN_OUT_OF_RANGE, ROM_IN_LATER_ROUND -> {
        long gfn;
        if (f == Fault.ROM_IN_LATER_ROUND) gfn = TargetHarness.rom(vm).baseGfn() + rnd.nextInt((int) TargetHarness.rom(vm).pageCount());
        else gfn = switch (rnd.nextInt(3)) {
          case 0 -> TargetHarness.ram(vm).endGfn() + rnd.nextInt(1 << 20);
          case 1 -> TargetHarness.rom(vm).endGfn() + rnd.nextInt(1000);
          default -> (rnd.nextLong() & ~(1L << 63)) | (1L << 50);
        };
        // Replace the batch's records by one well-formed zero-page record for the bad gfn.
        b.set(i, appendZeroRecord(x, gfn));
      }
      case DUPLICATE -> b.add(i + 1, x);
      case GAP -> {
        if (b.size() < 2 || i == b.size() - 1) { // dropping the last one is not a gap but a loss
          b.add(x.toBuilder().setSequence(x.getSequence() + 2).build());
        } else {
          b.remove(i);
        }
      }
      case SWAP_ADJACENT -> {
        if (b.size() < 2) return null;
        int j = Math.min(i, b.size() - 2);
        PageBatch t = b.get(j);
        b.set(j, b.get(j + 1));
        b.set(j + 1, t);
      }
      // In sequence for the older round: only the "rounds never go backwards on a stream" rule catches it.
      case ROUND_BACKWARDS -> b.add(x.toBuilder().setRound(round - 1).setSequence(sentInPreviousRound).build());
      case STREAM_OUT_OF_RANGE -> b.set(i, x.toBuilder().setStream(TargetHarness.STREAMS + rnd.nextInt(100)).build());
      case RAW_BYTES_OVERSIZED -> b.set(i, x.toBuilder().setRawBytes(TargetHarness.BATCH_BYTES + 1 + rnd.nextInt(1 << 20)).build());
      case DROP_BATCH -> {
        b.remove(b.size() - 1); // the last one: no gap is visible, only the manifest tells
        return Code.OK;
      }
      default -> {
        return null;
      }
    }
    return f.expected;
  }

  /** The same batch header with its content replaced by one zero-page record for gfn (valid CRC). */
  private static PageBatch appendZeroRecord(PageBatch x, long gfn) {
    ByteBuffer p = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    p.putLong(gfn | (1L << 63));
    byte[] payload = p.array();
    CRC32C c = new CRC32C();
    c.update(payload, 0, payload.length);
    return x.toBuilder().setPageCount(1).setRawBytes(8)
        .setCompression(io.dbmmigrate.proto.v1.Compression.COMPRESSION_NONE)
        .setCrc32C((int) c.getValue()).setPayload(ByteString.copyFrom(payload)).build();
  }
}
