package io.dbmmigrate.source.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.dbmmigrate.machine.VmHost.ReplacePolicy;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** `source-node serve` follows the destination's rule: a hosted VM is never replaced by default. */
class ServeCommandTest {
  @Test
  void aServingNodeRefusesToReplaceItsVmUnlessStartedWithAcceptReplace() {
    ServeCommand plain = new ServeCommand();
    new CommandLine(plain).parseArgs("--port", "0");
    assertThat(plain.newHost().replacePolicy()).isEqualTo(ReplacePolicy.REFUSE);

    ServeCommand replacing = new ServeCommand();
    new CommandLine(replacing).parseArgs("--port", "0", "--accept-replace");
    assertThat(replacing.newHost().replacePolicy()).isEqualTo(ReplacePolicy.ACCEPT_REPLACE);
  }
}
