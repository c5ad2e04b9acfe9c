package io.dbmmigrate.util;

import picocli.CommandLine;

/** Running picocli commands the way the project's tools do. */
public final class CommandLines {
  private CommandLines() {}

  /**
   * Executes {@code command} with {@code args}; an IllegalArgumentException from the command is a
   * bad value: its message goes to the command's error stream and the exit code is 2 (usage), as
   * for picocli's own parameter errors. Other exceptions propagate.
   */
  public static int execute(Object command, String... args) {
    CommandLine cl = new CommandLine(command);
    cl.setExecutionExceptionHandler(
        (ex, cmd, parsed) -> {
          if (ex instanceof IllegalArgumentException) {
            cmd.getErr().println(ex.getMessage());
            return 2;
          }
          throw ex;
        });
    return cl.execute(args);
  }
}
