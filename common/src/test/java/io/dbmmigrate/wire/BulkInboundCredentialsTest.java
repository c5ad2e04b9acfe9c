package io.dbmmigrate.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.dbmmigrate.proto.v1.MigrationTargetGrpc;
import io.dbmmigrate.proto.v1.PageBatch;
import io.dbmmigrate.proto.v1.StreamSummary;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A real client and server over a real socket, with a proxy between them that reads the client's
 * HTTP/2 frames: the server's announced frame size is what the client's DATA frames use, and the
 * bytes arrive intact through the composing cumulator.
 */
class BulkInboundCredentialsTest {
  private static final int PAYLOAD_BYTES = 3 << 20;

  @Test
  void theClientSendsFramesAsLargeAsTheServerAnnounced() throws Exception {
    Observed o = sendThroughProxy(TransportTuning.DEFAULT.withMaxFrameBytes(1 << 20));
    assertThat(o.maxDataFrame).isGreaterThan(16 << 10).isLessThanOrEqualTo(1 << 20);
    assertThat(o.summary.getBytes()).isEqualTo(PAYLOAD_BYTES);
  }

  @Test
  void withoutTheAnnouncementFramesStayAtHttp2sDefault() throws Exception {
    Observed o = sendThroughProxy(TransportTuning.DEFAULT.withMaxFrameBytes(16 << 10));
    assertThat(o.maxDataFrame).isEqualTo(16 << 10);
    assertThat(o.summary.getBytes()).isEqualTo(PAYLOAD_BYTES);
  }

  private record Observed(int maxDataFrame, StreamSummary summary) {}

  /** One SendPages call of three 1 MiB batches whose payload the server checks byte by byte. */
  private static Observed sendThroughProxy(TransportTuning tuning) throws Exception {
    final byte[][] payloads = new byte[3][];
    Random random = new Random(7);
    for (int i = 0; i < payloads.length; i++) {
      payloads[i] = new byte[PAYLOAD_BYTES / payloads.length];
      random.nextBytes(payloads[i]);
    }
    MigrationTargetGrpc.MigrationTargetImplBase service =
        new MigrationTargetGrpc.MigrationTargetImplBase() {
          @Override
          public StreamObserver<PageBatch> sendPages(StreamObserver<StreamSummary> answer) {
            return new StreamObserver<>() {
              int batches;
              long bytes;
              boolean intact = true;

              @Override
              public void onNext(PageBatch b) {
                intact &= b.getPayload().equals(ByteString.copyFrom(payloads[batches]));
                batches++;
                bytes += b.getPayload().size();
              }

              @Override
              public void onError(Throwable t) {}

              @Override
              public void onCompleted() {
                answer.onNext(StreamSummary.newBuilder().setBatches(batches).setBytes(intact ? bytes : -1).build());
                answer.onCompleted();
              }
            };
          }
        };
    GrpcServers.Running server =
        GrpcServers.start(
            ServerTransport.netty(tuning), GrpcServers.Settings.plaintext("127.0.0.1", 0, 8 << 20), List.of(service));
    try (FrameReadingProxy proxy = new FrameReadingProxy(server.port())) {
      ManagedChannel channel =
          NettyChannelBuilder.forAddress("127.0.0.1", proxy.port())
              .usePlaintext()
              .flowControlWindow(tuning.flowControlWindowBytes())
              .build();
      try {
        // One round trip first, as a node's BeginSession is: the server's announcement precedes
        // its first answer on the connection, so the client has applied it once that answer is
        // in. Frames a client sends before reading it stay at 16 KiB (the test saw that race).
        try {
          MigrationTargetGrpc.newBlockingStub(channel)
              .heartbeat(io.dbmmigrate.proto.v1.HeartbeatRequest.getDefaultInstance());
        } catch (io.grpc.StatusRuntimeException unimplemented) {
          // this service implements SendPages only: the answer is the round trip
        }
        SummaryFuture summary = new SummaryFuture();
        StreamObserver<PageBatch> requests = MigrationTargetGrpc.newStub(channel).sendPages(summary);
        for (byte[] p : payloads) requests.onNext(PageBatch.newBuilder().setPayload(ByteString.copyFrom(p)).build());
        requests.onCompleted();
        StreamSummary s = summary.get(30, TimeUnit.SECONDS);
        return new Observed(proxy.maxDataFrame(), s);
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    } finally {
      server.shutdown(5_000);
    }
  }

  /**
   * Forwards one connection both ways and parses the client-to-server direction as HTTP/2 (the
   * 24-byte connection preface, then 9-byte frame headers): the largest DATA frame seen.
   */
  private static final class FrameReadingProxy implements AutoCloseable {
    private final ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    private final AtomicInteger maxDataFrame = new AtomicInteger();
    private final Thread acceptor;
    private volatile Socket client;
    private volatile Socket upstream;

    FrameReadingProxy(int serverPort) throws IOException {
      acceptor =
          new Thread(
              () -> {
                try {
                  client = listener.accept();
                  upstream = new Socket(InetAddress.getLoopbackAddress(), serverPort);
                  Thread back = new Thread(() -> pump(upstream, client), "proxy-server-to-client");
                  back.setDaemon(true);
                  back.start();
                  readFrames(client.getInputStream(), upstream.getOutputStream());
                } catch (IOException e) {
                  // the test closed the sockets
                }
              },
              "proxy-client-to-server");
      acceptor.setDaemon(true);
      acceptor.start();
    }

    int port() {
      return listener.getLocalPort();
    }

    int maxDataFrame() {
      return maxDataFrame.get();
    }

    private void readFrames(InputStream from, OutputStream to) throws IOException {
      DataInputStream in = new DataInputStream(from);
      byte[] preface = new byte[24];
      in.readFully(preface);
      to.write(preface);
      byte[] header = new byte[9];
      byte[] body = new byte[1 << 16];
      while (true) {
        in.readFully(header);
        to.write(header);
        int length = ((header[0] & 0xff) << 16) | ((header[1] & 0xff) << 8) | (header[2] & 0xff);
        if (header[3] == 0) maxDataFrame.accumulateAndGet(length, Math::max);
        for (int left = length; left > 0; ) {
          int n = in.read(body, 0, Math.min(left, body.length));
          if (n < 0) throw new IOException("connection closed inside a frame");
          to.write(body, 0, n);
          left -= n;
        }
        to.flush();
      }
    }

    private static void pump(Socket from, Socket to) {
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        in.transferTo(out);
      } catch (IOException e) {
        // closed
      }
    }

    @Override
    public void close() throws IOException {
      listener.close();
      Socket c = client;
      Socket u = upstream;
      if (c != null) c.close();
      if (u != null) u.close();
    }
  }
}
