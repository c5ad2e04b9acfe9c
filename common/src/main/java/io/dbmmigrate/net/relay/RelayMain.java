package io.dbmmigrate.net.relay;

import io.dbmmigrate.process.ListeningLine;
import io.dbmmigrate.util.CommandLines;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs a {@link Relay} as a process (the netns testbed starts one inside the source namespace when
 * the kernel has no netem). Prints exactly one line {@code RELAY_LISTENING port=<n>} on stdout when
 * ready and runs until killed.
 */
@Command(
    name = "relay",
    mixinStandardHelpOptions = true,
    description = "User-space TCP relay adding one-way delay/jitter (and optionally a rate limit).")
public final class RelayMain implements Callable<Integer> {
  @Option(names = "--listen", description = "[ADDR:]PORT to listen on (default ${DEFAULT-VALUE})", defaultValue = "127.0.0.1:0")
  String listen;

  @Option(names = "--target", required = true, description = "HOST:PORT to forward to")
  String target;

  @Option(names = "--delay-ms", description = "one-way delay per direction, ms, fractions allowed (RTT = 2 x delay)", defaultValue = "0")
  double delayMillis;

  @Option(names = "--jitter-ms", description = "jitter, ms, fractions allowed (uniform +-)", defaultValue = "0")
  double jitterMillis;

  @Option(names = "--rate", description = "rate per direction, bytes/s (0 = unlimited)", defaultValue = "0")
  long rateBytesPerSec;

  @Option(names = "--window", description = "bytes in flight per direction per connection", defaultValue = "67108864")
  long windowBytes;

  @Option(names = "--seed", description = "jitter seed", defaultValue = "1")
  long seed;

  @Override
  public Integer call() throws Exception {
    HostPort l = HostPort.parse(listen, "127.0.0.1");
    HostPort t = HostPort.parse(target, null);
    if (delayMillis < 0 || jitterMillis < 0 || rateBytesPerSec < 0 || windowBytes < 1)
      throw new CommandLine.ParameterException(new CommandLine(this), "delay, jitter and rate must be >= 0, window >= 1");
    RelayOptions options =
        RelayOptions.defaults()
            .withBindAddress(l.host())
            .withRateBytesPerSec(rateBytesPerSec)
            .withQueueCapacityBytes(windowBytes)
            .withSeed(seed);
    Relay relay = Relay.start(l.port(), t.host(), t.port(), 0, 0, options);
    relay.setDelayMicros(Math.round(delayMillis * 1000), Math.round(jitterMillis * 1000));
    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> { relay.close(); stop.countDown(); }, "relay-shutdown"));
    System.out.println(ListeningLine.format("RELAY", relay.port()));
    System.out.flush();
    stop.await();
    return 0;
  }

  /** HOST:PORT (or PORT alone, with a default host). */
  record HostPort(String host, int port) {
    static HostPort parse(String s, String defaultHost) {
      int colon = s.lastIndexOf(':');
      String host = colon < 0 ? defaultHost : s.substring(0, colon);
      String portText = colon < 0 ? s : s.substring(colon + 1);
      if (host == null || host.isBlank()) throw new IllegalArgumentException("expected HOST:PORT, got '" + s + "'");
      try {
        int port = Integer.parseInt(portText);
        if (port < 0 || port > 65535) throw new NumberFormatException();
        return new HostPort(host, port);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("bad port in '" + s + "'");
      }
    }
  }

  public static void main(String[] args) {
    System.exit(CommandLines.execute(new RelayMain(), args));
  }
}
