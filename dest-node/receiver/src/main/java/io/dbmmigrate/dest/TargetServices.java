package io.dbmmigrate.dest;

import io.dbmmigrate.machine.VmHost;
import io.dbmmigrate.wire.PageStreamBinding;
import io.grpc.BindableService;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The services a node serves to receive VMs, for the destination node and for nodes that do both:
 * one {@link Receiver} behind its gRPC adapter, and VM inspection; both behind one {@link
 * InboundGuard} that shares the receiver's {@link InboundBudget}.
 */
public final class TargetServices {
  private TargetServices() {}

  /** MigrationTarget and VmInspection over the given host; guest pages on the Java heap. */
  public static List<BindableService> create(
      VmHost host, TargetConfig config, ScheduledExecutorService scheduler) {
    return create(host, config, GuestCapacity.mappedGuest(config.maxInflightBytes()), scheduler, System::nanoTime).services();
  }

  /** The receiver (for tests and nodes that inspect it) and the guarded services over it. */
  public record Target(Receiver receiver, List<BindableService> services) {}

  public static Target create(
      VmHost host, TargetConfig config, GuestCapacity guestCapacity, ScheduledExecutorService scheduler,
      LongSupplier nanoClock) {
    return create(host, config, guestCapacity, scheduler, nanoClock, PreallocatedRam.none());
  }

  /** As above, with memory backed at node start for the first incoming VM that fits it. */
  public static Target create(
      VmHost host, TargetConfig config, GuestCapacity guestCapacity, ScheduledExecutorService scheduler,
      LongSupplier nanoClock, PreallocatedRam preallocated) {
    InboundBudget budget = new InboundBudget(config.maxInflightBytes());
    Receiver receiver = new Receiver(host, config, budget, guestCapacity, nanoClock, preallocated);
    scheduler.scheduleWithFixedDelay(receiver::reapIdleSession, 1, 1, TimeUnit.SECONDS);
    InboundGuard guard = new InboundGuard(budget, config.maxInboundMessageBytes(), nanoClock);
    BindableService target = new MigrationTargetService(receiver);
    BindableService inspection = new VmInspectionService(host);
    // Page batches parse through their own marshaller; the guard wraps whatever parse a method has.
    return new Target(
        receiver,
        List.of(
            () -> guard.guard(PageStreamBinding.bind(target)),
            () -> guard.guard(inspection.bindService())));
  }
}
