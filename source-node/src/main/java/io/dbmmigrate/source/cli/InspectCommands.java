package io.dbmmigrate.source.cli;

import io.dbmmigrate.digest.ChunkLayout;
import io.dbmmigrate.digest.ChunkRange;
import io.dbmmigrate.digest.Digest;
import io.dbmmigrate.memory.MemorySlotSpec;
import io.dbmmigrate.net.tls.TlsOptions;
import io.dbmmigrate.proto.v1.DigestRequest;
import io.dbmmigrate.proto.v1.DigestResponse;
import io.dbmmigrate.proto.v1.DumpChunk;
import io.dbmmigrate.proto.v1.DumpRequest;
import io.dbmmigrate.proto.v1.VmInspectionGrpc;
import io.dbmmigrate.source.transport.Channels;
import io.dbmmigrate.source.transport.GrpcErrors;
import io.dbmmigrate.source.transport.HostPort;
import io.dbmmigrate.wire.ProtoConversions;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code ctl digest}, {@code ctl compare} and {@code ctl dump}: checks a user runs across nodes
 * through their VmInspection service (both node kinds serve it). Exit codes: 0 done (compare: the
 * memories are the same), 1 compare found differences, 2 bad usage or a node that cannot answer.
 */
final class InspectCommands {
  private InspectCommands() {}

  private static final long DIGEST_DEADLINE_SECONDS = 600;

  /** One node endpoint with the TLS options. */
  static final class Node {
    @Mixin TlsOptions tls = new TlsOptions();

    ManagedChannel open(CommandSpec spec, String endpoint) {
      try {
        HostPort hp = HostPort.parse(endpoint);
        return Channels.open(hp, tls.channelCredentials(hp.host()));
      } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
        throw Usage.error(spec, endpoint + ": " + e.getMessage());
      }
    }
  }

  /** The digest of the VM at endpoint (with chunk digests), or an error line and null. */
  static DigestResponse digest(ManagedChannel ch, boolean flat, PrintWriter err, String endpoint) {
    try {
      DigestResponse r =
          VmInspectionGrpc.newBlockingStub(ch)
              .withDeadlineAfter(DIGEST_DEADLINE_SECONDS, TimeUnit.SECONDS)
              .getDigest(DigestRequest.newBuilder().setIncludeChunks(true).setFlat(flat).build());
      if (!r.getHasVm()) {
        err.println(endpoint + ": no VM hosted (" + r.getVmState() + ")");
        return null;
      }
      return r;
    } catch (StatusRuntimeException e) {
      err.println(endpoint + ": " + GrpcErrors.describe(e));
      return null;
    }
  }

  @Command(
      name = "digest",
      mixinStandardHelpOptions = true,
      description = {
        "Prints the tree digest of the guest memory of the VM a node hosts: root, chunk count and"
            + " time taken; with --flat also the flat SHA-256 (equal to sha256sum of a raw dump).",
        "A running VM is hashed through a write-protect snapshot (the image at the moment of the"
            + " call; the guest keeps running).",
        "Exit code: 0 done, 2 bad usage or no answer."
      })
  static final class DigestCmd implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Node node;

    @Option(names = "--node", required = true, paramLabel = "HOST:PORT", description = "The node (source or destination).")
    String endpoint;

    @Option(names = "--flat", description = "Also compute the flat SHA-256 (a second, sequential pass).")
    boolean flat;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      ManagedChannel ch = node.open(spec, endpoint);
      try {
        long t0 = System.nanoTime();
        DigestResponse r = digest(ch, flat, err, endpoint);
        if (r == null) return 2;
        long callMillis = (System.nanoTime() - t0) / 1_000_000;
        Digest d = ProtoConversions.fromProto(r.getDigest());
        out.printf(Locale.ROOT, "root     %s%n", d.hex());
        out.printf(Locale.ROOT, "chunks   %d x %d MiB%n", d.chunkCount(), d.chunkBytes() >> 20);
        out.printf(Locale.ROOT, "memory   %d bytes%n", d.memoryBytes());
        out.printf(Locale.ROOT, "vm       %s (%s)%n", r.getVmState(), r.getConsistency());
        out.printf(Locale.ROOT, "time     %d ms hashing, %d ms call%n", d.hashMillis(), callMillis);
        if (flat) out.printf(Locale.ROOT, "flat     %s%n", d.flatHex());
        out.flush();
        return 0;
      } finally {
        Channels.close(ch);
      }
    }
  }

  @Command(
      name = "compare",
      mixinStandardHelpOptions = true,
      description = {
        "Compares the guest memory of the VMs two nodes host by their tree digests and prints the"
            + " 2 MiB ranges that differ.",
        "Exit code: 0 same, 1 different, 2 bad usage or no answer."
      })
  static final class CompareCmd implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Node node;

    @Parameters(index = "0", paramLabel = "HOST:PORT", description = "The first node.")
    String a;

    @Parameters(index = "1", paramLabel = "HOST:PORT", description = "The second node.")
    String b;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      ManagedChannel ca = node.open(spec, a);
      ManagedChannel cb = node.open(spec, b);
      try {
        DigestResponse ra = digest(ca, false, err, a);
        DigestResponse rb = ra == null ? null : digest(cb, false, err, b);
        if (ra == null || rb == null) return 2;
        Digest da = ProtoConversions.fromProto(ra.getDigest());
        Digest db = ProtoConversions.fromProto(rb.getDigest());
        if (da.memoryBytes() != db.memoryBytes() || da.chunkBytes() != db.chunkBytes()) {
          out.printf(Locale.ROOT, "DIFFERENT: %s has %d bytes of guest memory, %s has %d%n", a, da.memoryBytes(), b, db.memoryBytes());
          out.flush();
          return 1;
        }
        if (da.sameMemoryAs(db)) {
          out.printf(Locale.ROOT, "same     %s (%d chunks)%n", da.hex(), da.chunkCount());
          out.flush();
          return 0;
        }
        List<Integer> diff = da.differingChunks(db);
        out.printf(Locale.ROOT, "DIFFERENT: %d of %d chunks (%s %s, %s %s)%n", diff.size(), da.chunkCount(), a, da.hex(), b, db.hex());
        for (int c : diff) out.printf(Locale.ROOT, "  chunk %d%s%n", c, rangeText(ra, c, da.chunkBytes()));
        out.flush();
        return 1;
      } finally {
        Channels.close(ca);
        Channels.close(cb);
      }
    }
  }

  /** " gpa 0x..-0x.." when the chunk's range is known from the standard VM layout. */
  private static String rangeText(DigestResponse r, int chunk, long chunkBytes) {
    if (r.getSlotsCount() == 0) return "";
    List<MemorySlotSpec> slots = new java.util.ArrayList<>();
    for (var s : r.getSlotsList()) slots.add(ProtoConversions.fromProto(s));
    ChunkRange range = new ChunkLayout(slots, chunkBytes).range(chunk);
    return String.format(
        Locale.ROOT, "  gpa 0x%x-0x%x", range.startGpa(), range.startGpa() + range.lengthBytes() - 1);
  }

  @Command(
      name = "dump",
      mixinStandardHelpOptions = true,
      description = {
        "Writes the raw image of the guest memory of the VM a node hosts to FILE (the slots"
            + " concatenated in slot order, never-written pages as zeros), streamed with flow"
            + " control: sha256sum FILE equals the node's flat digest.",
        "From a paused VM, or from a running one through a write-protect snapshot.",
        "Exit code: 0 done, 2 bad usage or failure."
      })
  static final class DumpCmd implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Node node;

    @Option(names = "--node", required = true, paramLabel = "HOST:PORT", description = "The node (source or destination).")
    String endpoint;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Where to write the image.")
    Path outFile;

    @Override
    public Integer call() throws IOException {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      ManagedChannel ch = node.open(spec, endpoint);
      long t0 = System.nanoTime();
      try (FileChannel file =
          FileChannel.open(outFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        Iterator<DumpChunk> it =
            VmInspectionGrpc.newBlockingStub(ch)
                .withDeadlineAfter(DIGEST_DEADLINE_SECONDS * 6, TimeUnit.SECONDS)
                .dump(DumpRequest.getDefaultInstance());
        long offset = 0;
        DumpChunk last = null;
        while (it.hasNext()) {
          DumpChunk c = it.next();
          if (c.getOffset() != offset) {
            err.printf(Locale.ROOT, "%s: dump out of order (offset %d, expected %d)%n", endpoint, c.getOffset(), offset);
            return 2;
          }
          for (java.nio.ByteBuffer b : c.getData().asReadOnlyByteBufferList()) while (b.hasRemaining()) file.write(b);
          offset += c.getData().size();
          if (c.hasDigest()) last = c;
        }
        if (last == null) {
          err.println(endpoint + ": dump ended without its digest");
          return 2;
        }
        Digest d = ProtoConversions.fromProto(last.getDigest());
        long millis = (System.nanoTime() - t0) / 1_000_000;
        out.printf(Locale.ROOT, "wrote    %s (%d bytes, %s, %d ms, %.0f MB/s)%n", outFile, offset, last.getConsistency(), millis, offset / 1e3 / Math.max(1, millis));
        out.printf(Locale.ROOT, "flat     %s%n", d.flatHex());
        out.printf(Locale.ROOT, "root     %s%n", d.hex());
        out.flush();
        return 0;
      } catch (StatusRuntimeException e) {
        err.println(endpoint + ": " + GrpcErrors.describe(e));
        return 2;
      } finally {
        Channels.close(ch);
      }
    }
  }
}
