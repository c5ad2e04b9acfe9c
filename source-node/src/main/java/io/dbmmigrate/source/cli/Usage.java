package io.dbmmigrate.source.cli;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/** Usage errors: picocli turns them into a message and exit code 2. */
final class Usage {
  private Usage() {}

  static CommandLine.ParameterException error(CommandSpec spec, String message) {
    return new CommandLine.ParameterException(spec.commandLine(), message);
  }
}
