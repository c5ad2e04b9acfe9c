package io.dbmmigrate.dest;

import static io.dbmmigrate.dest.TargetHarness.codeOf;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.dbmmigrate.machine.VirtualMachine;
import io.dbmmigrate.machine.VmHost;
import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.memory.MemorySlotSpec;
import io.dbmmigrate.proto.v1.BeginSessionRequest;
import io.dbmmigrate.proto.v1.CompletePostcopyRequest;
import io.dbmmigrate.proto.v1.CompletePostcopyResponse;
import io.dbmmigrate.proto.v1.GpaRange;
import io.dbmmigrate.proto.v1.MigrationTargetGrpc;
import io.dbmmigrate.proto.v1.PageBatch;
import io.dbmmigrate.proto.v1.PostcopyChannel;
import io.dbmmigrate.proto.v1.PostcopyDown;
import io.dbmmigrate.proto.v1.PostcopyPage;
import io.dbmmigrate.proto.v1.PostcopyUp;
import io.dbmmigrate.proto.v1.ReceiptDigest;
import io.dbmmigrate.proto.v1.StartPostcopyRequest;
import io.grpc.Status;
import io.grpc.Status.Code;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Property of the bidi Postcopy stream (issue 13): for any seeded sequence of Postcopy calls that
 * deliver the missing pages, each call carrying at most one hostile mutation (a page outside the
 * guest, a page never missing, duplicates within and across calls, content of a wrong size, a
 * first message without channel or for an unknown session, session or channel repeated later, a
 * call before StartPostcopy, CompletePostcopy while pages are missing, calls after completion, a
 * wrong source receipt), every call gets the status target.proto names; a refused call ends only
 * itself, never the post-copy session (the VM runs on the destination); the pages before the
 * refused one in the call are installed; duplicates are dropped and counted exactly; and the node
 * hosts the VM at the end if and only if the source's receipt was the true one, with exactly the
 * source's memory.
 *
 * <p>Seeded random generation: each run prints its seed. CI runs a fixed set; {@code
 * -Ddbm.hostile.postcopy.seeds=1,2} reproduces, {@code -Ddbm.hostile.postcopy.runs=500} explores.
 */
class HostilePostcopySequencePropertyTest {
  static TargetHarness h;
  static final Map<Mutation, Integer> counts = new EnumMap<>(Mutation.class);
  static int runs;

  /** One mutation of a Postcopy call (NONE: a correct call). */
  enum Mutation {
    NONE(Code.OK),
    OUTSIDE_GUEST(Code.INVALID_ARGUMENT),
    NEVER_MISSING(Code.INVALID_ARGUMENT),
    DUPLICATE_IN_CALL(Code.OK),
    RESEND_RECEIVED(Code.OK),
    WRONG_SIZE(Code.INVALID_ARGUMENT),
    NO_CHANNEL(Code.INVALID_ARGUMENT),
    HEADER_REPEATED(Code.INVALID_ARGUMENT),
    UNKNOWN_SESSION(Code.NOT_FOUND);

    final Code expected;

    Mutation(Code expected) {
      this.expected = expected;
    }
  }

  static Stream<Long> seeds() {
    String explicit = System.getProperty("dbm.hostile.postcopy.seeds");
    if (explicit != null && !explicit.isBlank())
      return Arrays.stream(explicit.split(",")).map(String::trim).map(Long::parseLong);
    String n = System.getProperty("dbm.hostile.postcopy.runs");
    if (n != null) {
      Random r = new Random();
      return LongStream.range(0, Long.parseLong(n)).map(i -> r.nextLong()).boxed();
    }
    return LongStream.rangeClosed(1, 24).map(i -> i * 7_817).boxed();
  }

  @BeforeAll
  static void start() throws Exception {
    h = TargetHarness.inProcess(TargetHarness.config(false));
  }

  @AfterAll
  static void stop() {
    System.out.println("HostilePostcopySequencePropertyTest: " + runs + " runs; calls per mutation " + counts);
    if (h != null) h.close();
  }

  /** A Postcopy call: sends the messages, half-closes, returns the status code. */
  static Code postcopyCall(List<PostcopyUp> messages) throws Exception {
    CompletableFuture<Code> done = new CompletableFuture<>();
    StreamObserver<PostcopyUp> up =
        MigrationTargetGrpc.newStub(h.channel())
            .withDeadlineAfter(30, TimeUnit.SECONDS)
            .postcopy(new StreamObserver<>() {
              @Override public void onNext(PostcopyDown d) {}
              @Override public void onError(Throwable t) { done.complete(Status.fromThrowable(t).getCode()); }
              @Override public void onCompleted() { done.complete(Code.OK); }
            });
    for (PostcopyUp m : messages) up.onNext(m);
    up.onCompleted();
    return done.get(30, TimeUnit.SECONDS);
  }

  static PostcopyPage page(VirtualMachine vm, long gfn) {
    byte[] b = new byte[GuestMemory.PAGE_SIZE];
    if (!vm.memory().readPage(gfn, b, 0)) return PostcopyPage.newBuilder().setGfn(gfn).build(); // zero page
    return PostcopyPage.newBuilder().setGfn(gfn).setData(ByteString.copyFrom(b)).build();
  }

  static ReceiptDigest receipt(VirtualMachine vm) {
    ReceiptDigest.Builder b = ReceiptDigest.newBuilder();
    for (long x : io.dbmmigrate.digest.ReceiptDigest.of(vm.memory())) b.addChunkSums(x);
    return b.build();
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void everyPostcopyCallGetsItsContractStatusAndTheVmResumesOnlyWhenCorrect(long seed) throws Exception {
    System.out.println("HostilePostcopySequencePropertyTest seed=" + seed);
    Random rnd = new Random(seed);
    runs++;
    h.host.close();
    try (VirtualMachine vm = TargetHarness.sourceVm(seed, 50 + rnd.nextInt(100))) {
      MemorySlotSpec ram = TargetHarness.ram(vm);
      BeginSessionRequest.Builder b = h.beginRequest(0);
      String s = h.blocking().beginSession(b.setOptions(b.getOptions().toBuilder().setPostcopy(true)).build()).getSessionId();
      for (List<PageBatch> stream : TargetHarness.round0(vm, s)) assertThat(h.send(stream).ok()).isTrue();

      // A call before StartPostcopy names no post-copy session; the session goes on.
      if (rnd.nextBoolean())
        assertThat(postcopyCall(List.of(first(s, PostcopyChannel.POSTCOPY_CHANNEL_BACKGROUND).build())))
            .as("Postcopy before StartPostcopy, seed " + seed).isEqualTo(Code.NOT_FOUND);

      // The guest wrote these pages after round 0 (runs of 1-4 pages): they are missing at switchover.
      TreeSet<Long> missing = new TreeSet<>();
      int runsOfPages = 2 + rnd.nextInt(8);
      byte[] content = new byte[GuestMemory.PAGE_SIZE];
      StartPostcopyRequest.Builder start = StartPostcopyRequest.newBuilder().setSessionId(s)
          .addAllVcpus(vm.captureVcpuStates().stream().map(io.dbmmigrate.wire.ProtoConversions::toProto).toList());
      for (int i = 0; i < runsOfPages; i++) {
        long first = ram.baseGfn() + rnd.nextInt((int) ram.pageCount() - 4);
        int len = 1 + rnd.nextInt(4);
        for (long g = first; g < first + len; g++) {
          if (rnd.nextInt(4) == 0) vm.memory().zeroPage(g);
          else {
            rnd.nextBytes(content);
            vm.memory().writePage(g, content, 0);
          }
          missing.add(g);
        }
        start.addMissing(GpaRange.newBuilder().setStartGpa(first << GuestMemory.PAGE_SHIFT)
            .setLengthBytes((long) len << GuestMemory.PAGE_SHIFT));
      }
      assertThat(h.blocking().startPostcopy(start.build()).getMissingPages()).isEqualTo(missing.size());

      Set<Long> received = new HashSet<>();
      long duplicates = 0;
      List<Long> order = new ArrayList<>(missing);
      java.util.Collections.shuffle(order, rnd);
      int next = 0;
      int calls = 0;
      while (received.size() < missing.size()) {
        assertThat(calls++).as("calls, seed " + seed).isLessThan(500);
        // Sometimes CompletePostcopy too early: refused, the session stays.
        if (rnd.nextInt(8) == 0)
          assertThat(codeOf(() -> h.blocking().completePostcopy(CompletePostcopyRequest.newBuilder().setSessionId(s).build())))
              .as("CompletePostcopy with pages missing, seed " + seed).isEqualTo(Code.FAILED_PRECONDITION);
        // The pages of this call, in processing order: a few still to deliver, maybe a resend.
        List<Long> pages = new ArrayList<>();
        int n = 1 + rnd.nextInt(5);
        for (int i = 0; i < n && next < order.size(); i++) pages.add(order.get(next++));
        Mutation mu = Mutation.values()[rnd.nextInt(Mutation.values().length)];
        if (rnd.nextInt(3) == 0) mu = Mutation.NONE;
        if (mu == Mutation.RESEND_RECEIVED && received.isEmpty()) mu = Mutation.NONE;
        counts.merge(mu, 1, Integer::sum);
        int at = rnd.nextInt(pages.size() + 1); // where the mutation goes among the pages
        List<PostcopyPage> list = new ArrayList<>();
        for (long g : pages) list.add(page(vm, g));
        long badGfn;
        switch (mu) {
          case OUTSIDE_GUEST -> {
            badGfn = switch (rnd.nextInt(3)) {
              case 0 -> ram.endGfn() + rnd.nextInt(1 << 20);
              case 1 -> -1 - rnd.nextInt(1000);
              default -> (rnd.nextLong() & ~(1L << 63)) | (1L << 50);
            };
            list.add(at, PostcopyPage.newBuilder().setGfn(badGfn).build());
          }
          case NEVER_MISSING -> {
            long g;
            do g = ram.baseGfn() + rnd.nextInt((int) ram.pageCount()); while (missing.contains(g));
            list.add(at, page(vm, g));
          }
          case DUPLICATE_IN_CALL -> {
            if (!list.isEmpty()) { // a second copy somewhere after the first: it arrives when no longer missing
              int j = rnd.nextInt(list.size());
              list.add(j + 1 + rnd.nextInt(list.size() - j), list.get(j));
            }
          }
          case RESEND_RECEIVED -> {
            List<Long> got = new ArrayList<>(received);
            list.add(at, page(vm, got.get(rnd.nextInt(got.size()))));
          }
          case WRONG_SIZE -> {
            int len = rnd.nextBoolean() ? 1 + rnd.nextInt(GuestMemory.PAGE_SIZE - 1) : GuestMemory.PAGE_SIZE + 1 + rnd.nextInt(64);
            long g = pages.isEmpty() ? order.get(0) : pages.get(rnd.nextInt(pages.size()));
            list.add(at, PostcopyPage.newBuilder().setGfn(g).setData(ByteString.copyFrom(new byte[len])).build());
          }
          default -> {}
        }
        // Split the pages over 1-3 messages; the first names session and channel.
        PostcopyChannel ch = rnd.nextBoolean() ? PostcopyChannel.POSTCOPY_CHANNEL_URGENT : PostcopyChannel.POSTCOPY_CHANNEL_BACKGROUND;
        int msgs = 1 + rnd.nextInt(3);
        List<PostcopyUp.Builder> ms = new ArrayList<>();
        for (int i = 0; i < msgs; i++) ms.add(i == 0 ? first(s, ch) : PostcopyUp.newBuilder());
        int[] msgOf = new int[list.size()];
        for (int i = 0, m = 0; i < list.size(); i++) {
          if (m < msgs - 1 && rnd.nextInt(3) == 0) m++;
          msgOf[i] = m;
          ms.get(m).addPages(list.get(i));
        }
        // Pages that count: processed in order up to the refused one (or the refused message).
        int processedUpTo = list.size(); // exclusive index in `list`
        switch (mu) {
          case NO_CHANNEL -> {
            ms.set(0, ms.get(0).setChannel(PostcopyChannel.POSTCOPY_CHANNEL_UNSPECIFIED));
            processedUpTo = 0;
          }
          case UNKNOWN_SESSION -> {
            ms.set(0, ms.get(0).setSessionId("stray-" + rnd.nextInt(1000)));
            processedUpTo = 0;
          }
          case HEADER_REPEATED -> {
            if (msgs == 1) ms.add(PostcopyUp.newBuilder());
            int k = 1 + rnd.nextInt(ms.size() - 1);
            if (rnd.nextBoolean()) ms.get(k).setSessionId(s);
            else ms.get(k).setChannel(ch);
            processedUpTo = 0;
            while (processedUpTo < list.size() && msgOf[processedUpTo] < k) processedUpTo++;
          }
          case OUTSIDE_GUEST, NEVER_MISSING, WRONG_SIZE -> processedUpTo = at;
          default -> {}
        }
        List<PostcopyUp> send = new ArrayList<>();
        for (PostcopyUp.Builder m : ms) send.add(m.build());
        Code got = postcopyCall(send);
        assertThat(got).as("seed " + seed + " call " + calls + " mutation " + mu).isEqualTo(mu.expected);
        // The model: pages processed before the refusal are installed; a page no longer missing is a duplicate.
        for (int i = 0; i < processedUpTo; i++) {
          long g = list.get(i).getGfn();
          if (!missing.contains(g)) continue; // the refused page itself (never reached: i < processedUpTo)
          if (!received.add(g)) duplicates++;
        }
        // Pages of this call that were never processed go back into the queue.
        for (long g : pages) if (!received.contains(g) && !order.subList(next, order.size()).contains(g)) order.add(g);
        assertThat(h.host.state()).as("the post-copy session survives a refused call, seed " + seed)
            .isEqualTo(VmHost.State.RECEIVING);
      }

      boolean honest = rnd.nextInt(4) != 0;
      ReceiptDigest src = receipt(vm);
      if (!honest) {
        ReceiptDigest.Builder bad = src.toBuilder();
        int i = rnd.nextInt(bad.getChunkSumsCount());
        bad.setChunkSums(i, bad.getChunkSums(i) ^ (1L << rnd.nextInt(64)));
        src = bad.build();
      }
      CompletePostcopyResponse done =
          h.blocking().completePostcopy(CompletePostcopyRequest.newBuilder().setSessionId(s).setSource(src).build());
      assertThat(done.getMatch()).as("receipt match, seed " + seed + ": " + done.getDetail()).isEqualTo(honest);
      assertThat(done.getPagesReceived()).as("pages received, seed " + seed).isEqualTo(missing.size());
      assertThat(done.getDuplicatePages()).as("duplicates dropped and counted, seed " + seed).isEqualTo(duplicates);
      if (honest) {
        assertThat(h.host.state()).isEqualTo(VmHost.State.HOSTING);
        assertThat(h.inspect().getDigest().getTreeSha256()).isEqualTo(TargetHarness.digest(vm).getTreeSha256());
      } else {
        assertThat(h.host.state()).as("a wrong receipt discards the VM, seed " + seed).isEqualTo(VmHost.State.EMPTY);
        assertThat(done.getMismatchedCount()).isPositive();
      }
      // After completion: every post-copy call names a session that is over.
      long any = missing.first();
      assertThat(postcopyCall(List.of(first(s, PostcopyChannel.POSTCOPY_CHANNEL_URGENT).addPages(page(vm, any)).build())))
          .as("a page after completion, seed " + seed).isEqualTo(Code.NOT_FOUND);
      assertThat(codeOf(() -> h.blocking().completePostcopy(CompletePostcopyRequest.newBuilder().setSessionId(s).setSource(receipt(vm)).build())))
          .as("CompletePostcopy twice").isEqualTo(Code.NOT_FOUND);
      assertThat(codeOf(() -> h.blocking().startPostcopy(start.build()))).as("StartPostcopy after completion").isEqualTo(Code.NOT_FOUND);
    }
  }

  static PostcopyUp.Builder first(String session, PostcopyChannel channel) {
    return PostcopyUp.newBuilder().setSessionId(session).setChannel(channel);
  }
}
