package io.dbmmigrate.source;

import io.dbmmigrate.source.cli.CtlCommand;
import io.dbmmigrate.source.cli.MigrateCommand;
import io.dbmmigrate.source.cli.ServeCommand;
import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The source node: hosts a VM and live-migrates it ({@code migrate}), or serves the control API and
 * can both receive and send VMs ({@code serve}); {@code ctl} is a client of that control API.
 * Exit codes: 0 success (a verified match), 1 failure or mismatch, 2 bad usage.
 */
@Command(
    name = "source-node",
    mixinStandardHelpOptions = true,
    version = "dbm-migrate source-node 0.1.0",
    description = "Live-migrates a simulated ARM64 VM with hardware (DBM) or software dirty logging.",
    subcommands = {MigrateCommand.class, ServeCommand.class, CtlCommand.class, CommandLine.HelpCommand.class})
public final class SourceNodeMain implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: migrate, serve or ctl");
  }

  /** The command line with the project's exit-code conventions (2 for any usage error). */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new SourceNodeMain());
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    // The last occurrence wins, so wrapper scripts can pass defaults and users override them.
    cl.setOverwrittenOptionsAllowed(true);
    // Bad usage: the message and a hint, not the whole (long) usage text; exit code 2.
    cl.setParameterExceptionHandler(
        (ex, args) -> {
          CommandLine c = ex.getCommandLine();
          c.getErr().println("error: " + ex.getMessage());
          c.getErr().println("Try '" + c.getCommandSpec().qualifiedName() + " --help' for the options.");
          return CommandLine.ExitCode.USAGE;
        });
    return cl;
  }

  public static void main(String[] args) {
    io.dbmmigrate.net.NettyDefaults.apply(); // before any Netty class loads
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    System.exit(commandLine().execute(args));
  }
}
