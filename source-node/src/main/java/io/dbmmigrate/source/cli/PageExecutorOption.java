package io.dbmmigrate.source.cli;

import io.dbmmigrate.wire.PageExecutor;
import picocli.CommandLine.Option;

/** {@code --page-executor}: which thread runs the page streams' gRPC callbacks (see {@link PageExecutor}). */
final class PageExecutorOption {
  @Option(
      names = "--page-executor",
      paramLabel = "direct|pool",
      converter = PageExecutor.Converter.class,
      description =
          "Where the page streams' gRPC callbacks run (onReady, which wakes a sender; on `serve`, also"
              + " the apply of received batches): direct (on the Netty event loop, no hand-off per batch)"
              + " or pool (gRPC's executor threads). Default: ${DEFAULT-VALUE}; direct helped two streams and"
              + " not one in the transfer benchmark (README).")
  PageExecutor pageExecutor = PageExecutor.DEFAULT;
}
