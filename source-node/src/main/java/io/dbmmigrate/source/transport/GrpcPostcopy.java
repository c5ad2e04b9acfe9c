package io.dbmmigrate.source.transport;

import com.google.protobuf.ByteString;
import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.net.RateLimiter;
import io.dbmmigrate.report.PostcopyTimeline;
import io.dbmmigrate.proto.v1.CompletePostcopyRequest;
import io.dbmmigrate.proto.v1.CompletePostcopyResponse;
import io.dbmmigrate.proto.v1.GpaRange;
import io.dbmmigrate.proto.v1.GuestRateSample;
import io.dbmmigrate.proto.v1.MigrationTargetGrpc;
import io.dbmmigrate.proto.v1.PostcopyChannel;
import io.dbmmigrate.proto.v1.PostcopyDown;
import io.dbmmigrate.proto.v1.PostcopyPage;
import io.dbmmigrate.proto.v1.PostcopyUp;
import io.dbmmigrate.proto.v1.ReceiptDigest;
import io.dbmmigrate.source.migration.PostcopyTransfer;
import io.dbmmigrate.source.migration.TransferException;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Post-copy over gRPC: two Postcopy calls per connection, each on its own TCP connection, so that a
 * requested page never queues behind the background push (QEMU's postcopy-preempt). The URGENT call
 * carries the destination's requests in and the requested pages out; the BACKGROUND call pushes the
 * rest. A cut or stalled link breaks the connection: both calls are cancelled and reopened (QEMU's
 * postcopy-recover); the destination's first answer on the new URGENT call lists the pages still
 * missing, and exactly those are sent again.
 *
 * <p>Concurrency contract: {@code toSend} holds the pages not yet sent on the current connection;
 * a page is sent only by the thread that clears its bit (CAS), so it is sent once per connection,
 * by the urgent sender or by the background pusher, whichever claims it first. The requests the
 * URGENT call's first answer carries are served on the caller's thread before the pusher starts
 * (so the pusher never claims them); later requests on the urgent sender's own thread, started
 * after that (Thread.start orders the two writers of the URGENT call); the pusher on the caller's. {@code complete} and {@code broken} are
 * volatile flags that end both loops.
 */
final class GrpcPostcopy implements PostcopyTransfer {
  private static final Logger log = LoggerFactory.getLogger(GrpcPostcopy.class);
  static final int PAGES_PER_MESSAGE = 16;
  static final long RETRY_PAUSE_MILLIS = 200;

  private final String sessionId;
  private final ManagedChannel control;
  private final ManagedChannel urgentChannel;
  private final ManagedChannel backgroundChannel;
  private final RateLimiter limiter;
  private final long rpcTimeoutMillis;
  private final long stallMillis;
  private final long recoverMillis;
  private final AtomicLongArray toSend;
  private final LinkedBlockingQueue<Long> requests = new LinkedBlockingQueue<>();
  private final AtomicLong pushed = new AtomicLong();
  private final AtomicLong requested = new AtomicLong();
  private final AtomicLong bytes = new AtomicLong();
  private volatile boolean complete;

  GrpcPostcopy(
      String sessionId, ManagedChannel control, ManagedChannel urgentChannel, ManagedChannel backgroundChannel,
      RateLimiter limiter, long gfnLimit, long rpcTimeoutMillis, long stallMillis, long recoverMillis) {
    this.sessionId = sessionId;
    this.control = control;
    this.urgentChannel = urgentChannel;
    this.backgroundChannel = backgroundChannel;
    this.limiter = limiter;
    this.rpcTimeoutMillis = rpcTimeoutMillis;
    this.stallMillis = stallMillis;
    this.recoverMillis = recoverMillis;
    this.toSend = new AtomicLongArray((int) ((gfnLimit + 63) >>> 6));
  }

  @Override
  public Pushed push(GuestMemory memory) throws TransferException, InterruptedException {
    int attempts = 0; // connections tried after a break (failed ones too)
    int recoveries = 0; // connections established after a break: QEMU's successful postcopy-recover
    boolean everConnected = false;
    long lastHealthy = System.nanoTime();
    while (!complete) {
      Connection c = new Connection(memory);
      String failure;
      try {
        c.run();
        failure = c.broken;
      } finally {
        c.cancel();
      }
      if (c.connected) {
        if (everConnected) recoveries++;
        everConnected = true;
        lastHealthy = System.nanoTime();
      }
      if (complete) break;
      long down = (System.nanoTime() - lastHealthy) / 1_000_000;
      if (down > recoverMillis)
        throw new TransferException(
            "post-copy link to the destination lost for " + down + " ms (" + failure + "); recovery gave up after"
                + " --postcopy-recover-millis=" + recoverMillis + " (" + attempts + " attempts): the VM is LOST"
                + " (its memory is split across the nodes)");
      attempts++;
      log.warn("post-copy paused: {}; reconnecting (attempt {}, {} recoveries so far)", failure, attempts, recoveries);
      Thread.sleep(RETRY_PAUSE_MILLIS);
      urgentChannel.resetConnectBackoff();
      backgroundChannel.resetConnectBackoff();
    }
    return new Pushed(pushed.get(), requested.get(), bytes.get(), recoveries);
  }

  private boolean claim(long gfn) {
    int w = (int) (gfn >>> 6);
    long bit = 1L << gfn;
    while (true) {
      long v = toSend.get(w);
      if ((v & bit) == 0) return false;
      if (toSend.compareAndSet(w, v, v & ~bit)) return true;
    }
  }

  private PostcopyPage page(GuestMemory memory, long gfn, byte[] buf) {
    PostcopyPage.Builder p = PostcopyPage.newBuilder().setGfn(gfn);
    if (memory.readPage(gfn, buf, 0) && !isZero(buf)) p.setData(ByteString.copyFrom(buf));
    return p.build();
  }

  private static boolean isZero(byte[] b) {
    for (byte x : b) if (x != 0) return false;
    return true;
  }

  /** One connection: both calls, until complete, broken or stalled. */
  private final class Connection {
    final GuestMemory memory;
    final CountDownLatch firstAnswer = new CountDownLatch(1);
    final Object ready = new Object();
    volatile String broken;
    volatile boolean connected;
    volatile long lastAnswerNanos = System.nanoTime();
    ClientCallStreamObserver<PostcopyUp> urgent;
    ClientCallStreamObserver<PostcopyUp> background;
    Thread urgentSender;

    Connection(GuestMemory memory) {
      this.memory = memory;
    }

    void run() throws InterruptedException {
      MigrationTargetGrpc.MigrationTargetStub u = MigrationTargetGrpc.newStub(urgentChannel);
      MigrationTargetGrpc.MigrationTargetStub b = MigrationTargetGrpc.newStub(backgroundChannel);
      u.postcopy(observer(true));
      b.postcopy(observer(false));
      urgent.onNext(PostcopyUp.newBuilder().setSessionId(sessionId).setChannel(PostcopyChannel.POSTCOPY_CHANNEL_URGENT).build());
      if (!firstAnswer.await(rpcTimeoutMillis, TimeUnit.MILLISECONDS)) {
        fail("no answer from the destination within " + rpcTimeoutMillis + " ms");
        return;
      }
      if (broken != null || complete) return;
      connected = true;
      background.onNext(
          PostcopyUp.newBuilder().setSessionId(sessionId).setChannel(PostcopyChannel.POSTCOPY_CHANNEL_BACKGROUND).build());
      // The requests the first answer carried (vCPUs blocked since resume) go out before the
      // background push claims its first page: otherwise the pusher, already running while the
      // urgent thread starts, claims them into its batches and they wait behind the rate limiter.
      byte[] buf = new byte[GuestMemory.PAGE_SIZE];
      try {
        for (Long gfn = requests.poll(); gfn != null && broken == null; gfn = requests.poll()) serve(gfn, buf);
      } catch (RuntimeException e) {
        fail("urgent sender: " + e);
        return;
      }
      urgentSender = new Thread(this::serveRequests, "postcopy-urgent");
      urgentSender.setDaemon(true);
      urgentSender.start();
      pushBackground();
      // Everything sent: wait for the destination's "complete" (or a break, or a stall).
      while (!complete && broken == null) {
        Thread.sleep(10);
        if (System.nanoTime() - lastAnswerNanos > TimeUnit.MILLISECONDS.toNanos(stallMillis) && anyLeft())
          fail("stalled: nothing from the destination for " + stallMillis + " ms");
        else if (System.nanoTime() - lastAnswerNanos > TimeUnit.MILLISECONDS.toNanos(stallMillis))
          fail("stalled: every page sent but no completion for " + stallMillis + " ms");
      }
    }

    private boolean anyLeft() {
      for (int i = 0; i < toSend.length(); i++) if (toSend.get(i) != 0) return true;
      return false;
    }

    private ClientResponseObserver<PostcopyUp, PostcopyDown> observer(boolean isUrgent) {
      return new ClientResponseObserver<>() {
        @Override
        public void beforeStart(ClientCallStreamObserver<PostcopyUp> r) {
          if (isUrgent) urgent = r;
          else {
            background = r;
            r.setOnReadyHandler(
                () -> {
                  synchronized (ready) {
                    ready.notifyAll();
                  }
                });
          }
        }

        @Override
        public void onNext(PostcopyDown d) {
          lastAnswerNanos = System.nanoTime();
          if (isUrgent && d.getFirst()) {
            // Exactly what the destination lacks is (re)sent on this connection.
            for (int i = 0; i < toSend.length(); i++) toSend.set(i, 0);
            for (GpaRange g : d.getMissingList()) {
              long first = g.getStartGpa() >>> GuestMemory.PAGE_SHIFT;
              long end = first + (g.getLengthBytes() >>> GuestMemory.PAGE_SHIFT);
              for (long gfn = Math.max(0, first); gfn < end && (gfn >>> 6) < toSend.length(); gfn++) {
                final long bit = 1L << gfn;
                toSend.getAndUpdate((int) (gfn >>> 6), v -> v | bit);
              }
            }
          }
          for (long gfn : d.getRequestGfnsList()) requests.add(gfn);
          if (d.getComplete()) complete = true;
          if (isUrgent && d.getFirst()) firstAnswer.countDown();
        }

        @Override
        public void onError(Throwable t) {
          fail((isUrgent ? "urgent" : "background") + " channel: " + GrpcErrors.describe(t));
        }

        @Override
        public void onCompleted() {
          if (!complete) fail((isUrgent ? "urgent" : "background") + " channel closed by the destination");
        }
      };
    }

    void fail(String why) {
      if (broken == null) broken = why;
      firstAnswer.countDown();
      synchronized (ready) {
        ready.notifyAll();
      }
    }

    /** Requested pages, one per message, as soon as they are asked for. */
    private void serveRequests() {
      byte[] buf = new byte[GuestMemory.PAGE_SIZE];
      try {
        while (!complete && broken == null) {
          Long gfn = requests.poll(20, TimeUnit.MILLISECONDS);
          if (gfn != null) serve(gfn, buf);
        }
      } catch (InterruptedException e) {
        // cancelled: the connection is being torn down
      } catch (RuntimeException e) {
        fail("urgent sender: " + e);
      }
    }

    /** One requested page on the URGENT call, unless already sent on this connection. */
    private void serve(long gfn, byte[] buf) {
      if (gfn < 0 || (gfn >>> 6) >= toSend.length()) return; // outside the guest: ignored
      if (!claim(gfn)) return; // already sent on this connection (in flight)
      PostcopyPage p = page(memory, gfn, buf);
      urgent.onNext(PostcopyUp.newBuilder().addPages(p).build());
      requested.incrementAndGet();
      bytes.addAndGet(p.getSerializedSize());
    }

    /** Every page still to send, in gfn order, PAGES_PER_MESSAGE per message, under flow control. */
    private void pushBackground() throws InterruptedException {
      byte[] buf = new byte[GuestMemory.PAGE_SIZE];
      PostcopyUp.Builder m = PostcopyUp.newBuilder();
      for (int w = 0; w < toSend.length() && broken == null && !complete; w++) {
        long bits = toSend.get(w);
        while (bits != 0 && broken == null) {
          long gfn = ((long) w << 6) + Long.numberOfTrailingZeros(bits);
          bits &= bits - 1;
          if (!claim(gfn)) continue;
          m.addPages(page(memory, gfn, buf));
          if (m.getPagesCount() == PAGES_PER_MESSAGE) send(m);
        }
      }
      if (m.getPagesCount() > 0 && broken == null) send(m);
    }

    private void send(PostcopyUp.Builder m) throws InterruptedException {
      PostcopyUp msg = m.build();
      m.clear();
      long size = msg.getSerializedSize();
      if (!limiter.acquire(size, () -> broken != null || complete)) return;
      long since = System.nanoTime();
      synchronized (ready) {
        while (!background.isReady() && broken == null) {
          ready.wait(20);
          if (System.nanoTime() - since > TimeUnit.MILLISECONDS.toNanos(stallMillis)) {
            fail("stalled: the background channel accepted nothing for " + stallMillis + " ms");
            return;
          }
        }
      }
      if (broken != null) return;
      background.onNext(msg);
      pushed.addAndGet(msg.getPagesCount());
      bytes.addAndGet(size);
    }

    void cancel() {
      if (urgentSender != null) urgentSender.interrupt();
      try {
        if (urgentSender != null) urgentSender.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (urgent != null) {
        if (complete && broken == null) urgent.onCompleted();
        else urgent.cancel("post-copy connection closed", null);
      }
      if (background != null) {
        if (complete && broken == null) background.onCompleted();
        else background.cancel("post-copy connection closed", null);
      }
    }
  }

  @Override
  public Completion complete(long[] sourceChunkSums) throws TransferException {
    ReceiptDigest.Builder d = ReceiptDigest.newBuilder();
    for (long s : sourceChunkSums) d.addChunkSums(s);
    CompletePostcopyResponse r;
    try {
      r =
          MigrationTargetGrpc.newBlockingStub(control)
              .withDeadlineAfter(Math.max(rpcTimeoutMillis, 30_000), TimeUnit.MILLISECONDS)
              .completePostcopy(CompletePostcopyRequest.newBuilder().setSessionId(sessionId).setSource(d).build());
    } catch (StatusRuntimeException e) {
      throw new TransferException("CompletePostcopy: " + GrpcErrors.describe(e), e);
    }
    List<String> ranges = new ArrayList<>();
    for (GpaRange g : r.getMismatchedList())
      ranges.add(String.format(Locale.ROOT, "0x%x+0x%x", g.getStartGpa(), g.getLengthBytes()));
    List<Double> per = new ArrayList<>();
    for (long b : r.getBlocktimeMicrosPerVcpuList()) per.add(b / 1000.0);
    return new Completion(
        r.getMatch(), ranges, per, r.getBlocktimeMicrosTotal() / 1000.0, r.getPagesRequested(), r.getPagesReceived(),
        r.getDuplicatePages(), r.getRequestLatencyP50Micros() / 1000.0, r.getRequestLatencyP99Micros() / 1000.0,
        r.getRequestLatencyMaxMicros() / 1000.0, r.getLastPageMillis(), r.getRecoveries(), r.getDetail(),
        guestRate(r));
  }

  /** The destination's write-rate samples since resume; null when absent or cut at its cap. */
  static List<PostcopyTimeline.DestSample> guestRate(CompletePostcopyResponse r) {
    if (!r.getGuestRateReported()) return null;
    if (r.getGuestRateTruncated()) {
      log.warn("the destination stopped sampling its guest's write rate at its cap: no lost work for this run");
      return null;
    }
    List<PostcopyTimeline.DestSample> out = new ArrayList<>(r.getGuestRateCount());
    for (GuestRateSample g : r.getGuestRateList()) out.add(new PostcopyTimeline.DestSample(g.getEndMicros(), g.getStoresPerSec()));
    return out;
  }
}
