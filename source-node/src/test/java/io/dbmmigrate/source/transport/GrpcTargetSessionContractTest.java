package io.dbmmigrate.source.transport;

import io.dbmmigrate.dest.TargetConfig;
import io.dbmmigrate.dest.TargetServices;
import io.dbmmigrate.machine.VmHost;
import io.dbmmigrate.source.migration.TargetConnector;
import io.dbmmigrate.source.migration.TargetSessionContractTest;
import io.dbmmigrate.wire.GrpcServers;
import io.dbmmigrate.wire.PageExecutor;
import io.grpc.InsecureChannelCredentials;
import io.grpc.inprocess.InProcessServerBuilder;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The real pair, without sockets: the source's {@link GrpcTargetSession} (its page streams, manifest
 * and commit) against the destination's real MigrationTarget service over a real {@link VmHost},
 * both built exactly as in the nodes ({@link GrpcServers}, {@link GrpcTargetConnector}) except that
 * the server and channel builders are in-process ones ({@link InProcessTransports}).
 */
class GrpcTargetSessionContractTest extends TargetSessionContractTest {
  private VmHost host;
  private ScheduledExecutorService scheduler;
  private GrpcServers.Running server;

  @Override
  protected TargetConnector newConnector() throws Exception {
    String name = InProcessServerBuilder.generateName();
    TargetConfig config = TargetConfig.defaults();
    host = new VmHost(VmHost.ReplacePolicy.REFUSE);
    scheduler = Executors.newSingleThreadScheduledExecutor();
    server =
        GrpcServers.start(
            InProcessTransports.server(name),
            GrpcServers.Settings.plaintext("in-process", 0, config.maxInboundMessageBytes()),
            TargetServices.create(host, config, scheduler));
    return new GrpcTargetConnector(
        InProcessTransports.channels(name), new HostPort(name, 1), "contract-source", 10_000, 10_000, InsecureChannelCredentials.create(),
        PageExecutor.DEFAULT);
  }

  @Override
  protected void closeConnector() {
    if (server != null) server.shutdown(2_000);
    if (host != null) host.close();
    if (scheduler != null) scheduler.shutdownNow();
  }
}
