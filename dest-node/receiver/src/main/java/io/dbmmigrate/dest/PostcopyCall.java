package io.dbmmigrate.dest;

import io.dbmmigrate.memory.GuestMemory;
import io.dbmmigrate.proto.v1.GpaRange;
import io.dbmmigrate.proto.v1.PostcopyChannel;
import io.dbmmigrate.proto.v1.PostcopyDown;
import io.dbmmigrate.proto.v1.PostcopyPage;
import io.dbmmigrate.proto.v1.PostcopyUp;
import java.util.List;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

/**
 * One Postcopy call (target.proto): bound to its session and channel by its first message, it
 * installs the pages it carries; an URGENT call also carries the destination's page requests back.
 *
 * <p>Threading: gRPC delivers {@link #onMessage} and {@link #end} serially for one call; requests
 * are sent from vCPU threads through {@link Downstream#send}, which the adapter serializes.
 */
public final class PostcopyCall {
  /** The call's answers to the source. Thread-safe. */
  public interface Downstream {
    void send(PostcopyDown message);
  }

  private final Receiver receiver;
  private final Downstream down;
  private PostcopyState state;
  private PostcopyChannel channel;
  private LongConsumer sink;
  private boolean completeSent;

  PostcopyCall(Receiver receiver, Downstream down, LongSupplier nanoClock) {
    this.receiver = receiver;
    this.down = down;
  }

  public void onMessage(PostcopyUp m) throws TargetException {
    if (state == null) bind(m);
    else if (!m.getSessionId().isEmpty() || m.getChannelValue() != 0)
      throw TargetException.invalid("only the first Postcopy message names session and channel");
    boolean last = false;
    for (PostcopyPage p : m.getPagesList()) {
      int len = p.getData().size();
      if (len != 0 && len != GuestMemory.PAGE_SIZE)
        throw TargetException.invalid("page content must be 4096 bytes or empty, not " + len);
      long gfn = p.getGfn();
      if (gfn < 0) throw TargetException.invalid("page gfn " + Long.toUnsignedString(gfn) + " is outside the guest");
      byte[] data = len == 0 ? null : p.getData().toByteArray();
      last |= state.install(gfn, data, 0);
    }
    if ((last || state.missingCount() == 0) && !completeSent) {
      completeSent = true;
      down.send(PostcopyDown.newBuilder().setComplete(true).build());
    }
  }

  private void bind(PostcopyUp m) throws TargetException {
    if (m.getChannel() != PostcopyChannel.POSTCOPY_CHANNEL_URGENT
        && m.getChannel() != PostcopyChannel.POSTCOPY_CHANNEL_BACKGROUND)
      throw TargetException.invalid("the first Postcopy message must name channel URGENT or BACKGROUND");
    ClientText.requireId("session_id", m.getSessionId());
    PostcopyState s = receiver.postcopyFor(m.getSessionId());
    PostcopyDown.Builder first = PostcopyDown.newBuilder().setFirst(true);
    for (long[] run : s.missingRuns())
      first.addMissing(
          GpaRange.newBuilder()
              .setStartGpa(run[0] << GuestMemory.PAGE_SHIFT)
              .setLengthBytes((run[1] - run[0]) << GuestMemory.PAGE_SHIFT));
    state = s;
    channel = m.getChannel();
    if (channel == PostcopyChannel.POSTCOPY_CHANNEL_URGENT) {
      sink = gfn -> down.send(PostcopyDown.newBuilder().addRequestGfns(gfn).build());
      List<Long> pending = s.connectUrgent(sink);
      first.addAllRequestGfns(pending);
    }
    first.setComplete(s.missingCount() == 0);
    completeSent = s.missingCount() == 0;
    down.send(first.build());
  }

  /** The call ended (completed, cancelled or broken): an URGENT channel stops taking requests. */
  public void end() {
    if (state != null && sink != null) state.disconnectUrgent(sink);
  }
}
