package io.dbmmigrate.process;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ListeningLineTest {
  @Test
  void whatANodePrintsIsWhatTheWaitersParse() {
    assertThat(ListeningLine.port(ListeningLine.format("DEST", 7070))).hasValue(7070);
    assertThat(ListeningLine.port(ListeningLine.format("RELAY", 1))).hasValue(1);
  }

  @Test
  void otherLinesAreNotListeningLines() {
    assertThat(ListeningLine.port("dest: DEST_LISTENING port=7070")).isEmpty();
    assertThat(ListeningLine.port("DEST_LISTENING port=")).isEmpty();
    assertThat(ListeningLine.port("DEST_LISTENING port=70x")).isEmpty();
  }

  @org.junit.jupiter.api.Test
  void theMetricsEndpointsLineIsNotTheNodesOwn() {
    String metrics = ListeningLine.format(ListeningLine.METRICS, 9100);
    assertThat(ListeningLine.port(metrics)).isEmpty();
    assertThat(ListeningLine.port(metrics, ListeningLine.METRICS)).hasValue(9100);
    assertThat(ListeningLine.port(ListeningLine.format("DEST", 7070), ListeningLine.METRICS)).isEmpty();
  }
}
