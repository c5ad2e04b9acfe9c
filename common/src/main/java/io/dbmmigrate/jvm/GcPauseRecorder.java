package io.dbmmigrate.jvm;

import com.sun.management.GarbageCollectionNotificationInfo;
import com.sun.management.GcInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import javax.management.ListenerNotFoundException;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * Records this JVM's collector pauses, as the collectors announce them
 * (GarbageCollectorMXBean notifications, {@link GarbageCollectionNotificationInfo}), on the
 * caller's nanosecond clock, so that a migration can say which pauses fell into which of its
 * phases, and whether one fell into its downtime.
 *
 * <p>What counts as a pause: every notification of a collector whose name does not end in "Cycles"
 * (ZGC and Shenandoah report their concurrent cycles on "... Cycles" beans and their pauses on
 * "... Pauses" beans; G1's "Young", "Old" and, from JDK 20, "Concurrent GC" beans report
 * stop-the-world pauses — the last one its remark and cleanup pauses). Resolution: the JVM gives
 * start and end in whole milliseconds on its own management clock (not the clock of {@code
 * RuntimeMXBean.getUptime()}, which differs by hundreds of milliseconds); that clock is mapped onto
 * the caller's by the smallest (receipt time − end time) seen so far, i.e. by the notification that
 * arrived soonest after its pause ended, so a pause's position is known to about 1 ms plus that
 * delivery delay. A pause shorter than 1 ms is recorded with duration 0 (it is still counted).
 *
 * <p>Concurrency: notifications arrive on the JVM's notification thread and are appended under
 * {@code this}; readers copy under {@code this}. At most {@link #CAPACITY} recent pauses are kept;
 * the totals count every pause.
 */
public final class GcPauseRecorder implements AutoCloseable {
  public static final int CAPACITY = 4096;

  /** One collector pause on the recorder's clock. */
  public record Pause(long startNanos, long durationNanos, String collector) {
    public long endNanos() {
      return startNanos + durationNanos;
    }
  }

  private final LongSupplier clock;
  private long originNanos = Long.MAX_VALUE; // caller-clock value at management time 0; notification thread only
  private final List<NotificationEmitter> emitters = new ArrayList<>();
  private final NotificationListener listener = this::onNotification;
  private final Pause[] ring = new Pause[CAPACITY];
  private long recorded; // guarded by this
  private long totalNanos; // guarded by this

  private GcPauseRecorder(LongSupplier clock) {
    this.clock = clock;
  }

  /** A recorder that is fed by hand (tests, or a node that reports another JVM's pauses). */
  public static GcPauseRecorder manual(LongSupplier clock) {
    return new GcPauseRecorder(clock);
  }

  /** Starts listening to every pause-reporting collector of this JVM. */
  public static GcPauseRecorder start(LongSupplier clock) {
    GcPauseRecorder r = new GcPauseRecorder(clock);
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      if (isCycleBean(gc.getName())) continue;
      if (gc instanceof NotificationEmitter e) {
        e.addNotificationListener(r.listener, null, null);
        r.emitters.add(e);
      }
    }
    return r;
  }

  static boolean isCycleBean(String name) {
    return name.endsWith("Cycles");
  }

  private void onNotification(Notification n, Object handback) {
    if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) return;
    GarbageCollectionNotificationInfo info =
        GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
    if (isCycleBean(info.getGcName())) return;
    GcInfo gc = info.getGcInfo();
    long received = clock.getAsLong();
    originNanos = Math.min(originNanos, received - gc.getEndTime() * 1_000_000L);
    record(new Pause(originNanos + gc.getStartTime() * 1_000_000L, gc.getDuration() * 1_000_000L, info.getGcName()));
  }

  /** Appends one pause (the notification path, and tests). */
  public synchronized void record(Pause p) {
    ring[(int) (recorded % CAPACITY)] = p;
    recorded++;
    totalNanos += p.durationNanos();
  }

  /** Kept pauses that overlap [fromNanos, toNanos), oldest first. */
  public synchronized List<Pause> between(long fromNanos, long toNanos) {
    List<Pause> out = new ArrayList<>();
    long first = Math.max(0, recorded - CAPACITY);
    for (long i = first; i < recorded; i++) {
      Pause p = ring[(int) (i % CAPACITY)];
      if (p.endNanos() >= fromNanos && p.startNanos() < toNanos) out.add(p);
    }
    return out;
  }

  /** Pauses since the recorder started (kept or not). */
  public synchronized long count() {
    return recorded;
  }

  public synchronized long totalNanos() {
    return totalNanos;
  }

  public long nowNanos() {
    return clock.getAsLong();
  }

  /** Nanoseconds of {@code pauses} that lie inside [fromNanos, toNanos). */
  public static long overlapNanos(List<Pause> pauses, long fromNanos, long toNanos) {
    long sum = 0;
    for (Pause p : pauses) {
      long a = Math.max(p.startNanos(), fromNanos);
      long b = Math.min(p.endNanos(), toNanos);
      if (b > a) sum += b - a;
    }
    return sum;
  }

  @Override
  public void close() {
    for (NotificationEmitter e : emitters) {
      try {
        e.removeNotificationListener(listener);
      } catch (ListenerNotFoundException ignored) {
        // already gone
      }
    }
    emitters.clear();
  }
}
