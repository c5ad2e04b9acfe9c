package io.dbmmigrate.wire;

import com.google.common.util.concurrent.MoreExecutors;
import io.dbmmigrate.proto.v1.MigrationTargetGrpc;
import io.grpc.ServerCallExecutorSupplier;
import java.util.Locale;
import java.util.concurrent.Executor;

/**
 * Which thread runs a node's application code for the page-batch calls (SendPages, WarmUpPages):
 * on the destination the apply of each received batch, on the source the call's callbacks (its
 * onReady, which wakes the sender, and the summary).
 *
 * <p>Measured with the transfer benchmark ({@code EXECUTORS="pool direct" deploy/bench.sh
 * transfer}, README) on a 2-core machine: with two streams {@code direct} moved more (the pool's
 * threads make eight busy threads on two cores, and every hand-off is a wake-up), with one stream
 * {@code pool} did (the destination's event loop reads the next batch while a pool thread applies
 * the last one). The default stays {@code pool}, the behaviour before the choice existed.
 */
public enum PageExecutor {
  /**
   * On the Netty event loop that read (destination) or wrote (source) the call's bytes: no hand-off
   * per batch. The event loop is busy while a batch is applied (a CRC and one positional write per
   * run of pages, about a millisecond per MiB at most), which delays only the other calls on the
   * same loop. A call's first batch may still run on gRPC's executor: gRPC looks up the call's
   * executor on its own and runs what is queued by then before it switches.
   */
  DIRECT,
  /** gRPC's default executor (a cached thread pool): one hand-off between threads per message. */
  POOL;

  /** What the nodes use unless told otherwise. */
  public static final PageExecutor DEFAULT = POOL;

  /** The executor for a call's callbacks: gRPC's direct executor, or null (the transport's default). */
  public Executor executorOrNull() {
    return this == DIRECT ? MoreExecutors.directExecutor() : null;
  }

  /**
   * A server's per-call executor: this choice for the page-batch methods, gRPC's default executor
   * (null) for every other call (control calls may block: Commit hashes all of memory).
   */
  ServerCallExecutorSupplier serverCalls() {
    final String sendPages = MigrationTargetGrpc.getSendPagesMethod().getFullMethodName();
    final String warmUpPages = MigrationTargetGrpc.getWarmUpPagesMethod().getFullMethodName();
    final Executor executor = executorOrNull();
    return new ServerCallExecutorSupplier() {
      @Override
      public <ReqT, RespT> Executor getExecutor(io.grpc.ServerCall<ReqT, RespT> call, io.grpc.Metadata headers) {
        final String method = call.getMethodDescriptor().getFullMethodName();
        return method.equals(sendPages) || method.equals(warmUpPages) ? executor : null;
      }
    };
  }

  /**
   * Parses a command-line value ({@code direct} or {@code pool}, any case).
   *
   * @throws IllegalArgumentException naming the accepted values
   */
  public static PageExecutor parse(String value) {
    for (PageExecutor e : values()) if (e.name().equalsIgnoreCase(value.trim())) return e;
    throw new IllegalArgumentException("page executor must be direct or pool, not '" + value + "'");
  }

  /** The picocli converter of both nodes' {@code --page-executor}. */
  public static final class Converter implements picocli.CommandLine.ITypeConverter<PageExecutor> {
    @Override
    public PageExecutor convert(String value) {
      try {
        return parse(value);
      } catch (IllegalArgumentException e) {
        throw new picocli.CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }

  /** Lower case, as on the command line. */
  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}
